#pragma once
// The WebSocket feed: a connection to <base>/stream?streams=a@trade/b@trade, kept alive forever and
// replaced before the exchange ends it (make-before-break, see FeedOptions::max_age).
// Boost.Beast stays inside feed_client.cpp; this header is cheap to include.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "feed/feed_metrics.hpp"
#include "feed/attempt_budget.hpp"

namespace mc {

struct FeedOptions {
  std::string base_url;                 // "wss://host:port" or "ws://host:port" (a path is kept)
  std::vector<std::string> streams;     // "btcusdt@trade", ...
  std::string ca_file;                  // extra trust anchor (PEM); empty: the system store only
  std::chrono::seconds idle_timeout{60};             // no complete frame for this long: reconnect
  std::chrono::seconds connect_timeout{10};          // each of resolve+connect, TLS, WS handshake
  std::chrono::milliseconds backoff_initial{1000};   // first reconnect delay
  std::chrono::milliseconds backoff_max{30000};      // cap of the exponential backoff
  // Larger messages are skipped as they arrive and handed on as their first bytes (on_oversize). The
  // default is the record builder's kMaxRecordBytes: a longer message could not be parsed anyway.
  std::size_t max_message_bytes = 8U << 20U;
  // Make-before-break: at this age (minus up to 10 % jitter), or at once on a serverShutdown event,
  // a replacement connection is opened; the old one is closed once the new one has delivered, for
  // every stream, an id the old one delivered too (or after overlap_timeout).
  std::chrono::seconds max_age{85800};
  std::chrono::seconds overlap_timeout{30};
  // Shared by every connection of the process: Binance counts connection attempts per IP. Null: the
  // client makes a budget of its own.
  std::shared_ptr<AttemptBudget> attempt_budget;
  // The log component of this client's lines: "feed-2" tells which of several connections speaks.
  std::string log_name = "feed";
};

// What a message means for the connection that carried it.
struct MessageSeen {
  std::optional<std::size_t> stream;  // a trade of the stream at this position (FeedOptions::streams, then add_streams) ...
  std::int64_t trade_id = -1;         // ... with this id
  bool server_shutdown = false;       // the exchange announced it will close this connection soon
};

// Called on the network thread. Must not block.
class FeedHandler {
 public:
  virtual ~FeedHandler() = default;
  // A complete text or binary message; recv_us is the local UTC receive time in microseconds.
  virtual MessageSeen on_message(std::string_view payload, bool is_text, std::int64_t recv_us) = 0;
  // A message over FeedOptions::max_message_bytes, of which only the first kOversizePrefixBytes were
  // kept (prefix); message_bytes is its whole length. The connection goes on.
  virtual void on_oversize(std::string_view prefix, bool is_text, std::uint64_t message_bytes,
                           std::int64_t recv_us) = 0;
  // Every message of one transport read was delivered (also when that read ended the connection): a
  // handler that collects messages hands them on now, so they wait no longer than the read.
  virtual void on_read_end() {}
  virtual void on_connected() {}
  virtual void on_disconnected(std::string_view /*reason*/) {}
};

class FeedClient {
 public:
  FeedClient(FeedOptions options, FeedHandler& handler, const Clock& clock, FeedMetrics& metrics);
  ~FeedClient();
  FeedClient(const FeedClient&) = delete;
  FeedClient& operator=(const FeedClient&) = delete;

  // Connects, reads and reconnects until stop is requested; returns after the connection closed.
  void run(const std::stop_token& stop);

  // Any thread: runs task on the client's thread, between two reads (queued until run() starts; never
  // run once run() returned). The stream changes below are made from such a task.
  void post(std::function<void()> task);
  // On the client's thread (post): the streams every later connection asks for. The live connection
  // is sent SUBSCRIBE / UNSUBSCRIBE messages (at most kMaxStreamsPerControlMessage streams each, 4 a
  // second: control_messages.hpp); one still connecting is, once it is open. add_streams returns
  // each stream's position, which MessageSeen::stream names (a stream added again keeps its old one).
  std::vector<std::size_t> add_streams(const std::vector<std::string>& streams);
  void remove_streams(const std::vector<std::string>& streams);
  // On the client's thread: how many streams are subscribed now.
  std::size_t active_streams() const;

  // Last time the event loop ran its once-a-second heartbeat (any thread may ask): a loop wedged in
  // a handler stops moving it, whether or not the exchange is reachable.
  std::chrono::steady_clock::time_point last_heartbeat() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mc
