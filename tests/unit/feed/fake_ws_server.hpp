#pragma once
// A real WebSocket server (Boost.Beast, plain or TLS) on 127.0.0.1 with an ephemeral port, running
// on its own thread. Each accepted connection plays a script, then keeps reading without sending
// anything (so it answers nothing and looks silent) until the client leaves or the server stops.
// Beast stays in the .cpp so the tests compile quickly.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mc::testing {

struct ServerAction {
  enum class Kind { kText, kBinary, kFragmentedText, kPing, kClose, kSleep, kTrickle };

  static ServerAction text(std::string payload) { return {Kind::kText, std::move(payload), {}}; }
  static ServerAction binary(std::string payload) { return {Kind::kBinary, std::move(payload), {}}; }
  // Sent as three frames: two continuation-pending fragments and a final one.
  static ServerAction fragmented_text(std::string payload) { return {Kind::kFragmentedText, std::move(payload), {}}; }
  static ServerAction ping() { return {Kind::kPing, {}, {}}; }
  // A close frame with code 1000 and this reason; the connection ends after the close handshake.
  static ServerAction close(std::string reason) { return {Kind::kClose, std::move(reason), {}}; }
  static ServerAction sleep(std::chrono::milliseconds duration) { return {Kind::kSleep, {}, duration}; }
  // Raw bytes (frames the test built) written one at a time, `every` apart: a peer that trickles.
  static ServerAction trickle(std::string bytes, std::chrono::milliseconds every) {
    return {Kind::kTrickle, std::move(bytes), every};
  }

  Kind kind;
  std::string payload;
  std::chrono::milliseconds duration;
};
using ServerScript = std::vector<ServerAction>;

struct ServerTlsFiles {
  std::filesystem::path cert_chain;
  std::filesystem::path private_key;
};

class FakeWsServer {
 public:
  // Connection i (from 0) plays scripts[min(i, scripts.size() - 1)]; scripts must not be empty.
  explicit FakeWsServer(std::vector<ServerScript> scripts, std::optional<ServerTlsFiles> tls = std::nullopt);
  ~FakeWsServer();  // stops the server and joins its thread
  FakeWsServer(const FakeWsServer&) = delete;
  FakeWsServer& operator=(const FakeWsServer&) = delete;

  std::uint16_t port() const;
  int tcp_accepts() const;
  // Bytes the peers sent (read and dropped): a client waiting for the first answer has sent its hello.
  std::uint64_t bytes_received() const;
  int tls_failures() const;   // TLS handshakes the server saw fail
  int upgrades() const;       // WebSocket handshakes completed
  int pongs() const;          // pong frames received
  std::vector<std::string> targets() const;  // request targets, in arrival order

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Accepts TCP connections, reads and drops what it is sent and never answers: a peer stuck before
// any handshake.
class SilentTcpServer {
 public:
  SilentTcpServer();
  ~SilentTcpServer();
  SilentTcpServer(const SilentTcpServer&) = delete;
  SilentTcpServer& operator=(const SilentTcpServer&) = delete;

  std::uint16_t port() const;
  int tcp_accepts() const;
  // Bytes the peers sent (read and dropped): a client waiting for the first answer has sent its hello.
  std::uint64_t bytes_received() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mc::testing
