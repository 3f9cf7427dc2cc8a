#pragma once
// A TLS WebSocket server on 127.0.0.1 that hands its TLS records' bytes to TCP in pieces of the
// test's choosing: a record split across many TCP writes, or a connection cut inside a record. Plain
// sockets and OpenSSL on its own thread; one connection at a time, each playing the same script.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fake_ws_server.hpp"

namespace mc::testing {

struct RawTlsScript {
  std::vector<std::string> records;  // server frames, each written with one SSL_write after the upgrade
  std::size_t piece = 0;             // bytes of ciphertext per TCP write; 0 writes them all at once
  std::chrono::milliseconds gap{0};  // between two pieces
  // Bytes of ciphertext held back at the end, after which the connection is closed: a peer that
  // goes away inside a record. 0 sends everything and keeps the connection open until the client
  // leaves.
  std::size_t cut = 0;
};

// An unmasked text frame, as a server sends it.
std::string server_text_frame(const std::string& payload);

class RawTlsServer {
 public:
  RawTlsServer(const ServerTlsFiles& files, RawTlsScript script);
  ~RawTlsServer();  // stops the server and joins its thread
  RawTlsServer(const RawTlsServer&) = delete;
  RawTlsServer& operator=(const RawTlsServer&) = delete;

  std::uint16_t port() const;
  int upgrades() const;  // WebSocket handshakes answered

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mc::testing
