#pragma once
// The messages a client sends on a live Binance connection to change its streams:
//   {"method":"SUBSCRIBE","params":["xyzusdt@trade",...],"id":N}   answered {"result":null,"id":N}
// and Binance's limits on them: at most 5 incoming messages a second per connection (pings, pongs and
// these count alike; more and the server drops the connection) and at most 1024 streams per connection.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mc {

// Binance refuses a connection with more streams, and a SUBSCRIBE that would take one past it.
inline constexpr std::size_t kMaxStreamsPerConnection = 1024;
// Streams named in one message: a few KB of text, so even a first subscription of a full connection
// takes a handful of messages rather than one very long one.
inline constexpr std::size_t kMaxStreamsPerControlMessage = 200;
// Between two control messages on one connection: 4 a second, one below Binance's 5, so a pong that
// falls into the same second still fits.
inline constexpr std::chrono::milliseconds kControlMessageSpacing{250};

enum class StreamMethod { kSubscribe, kUnsubscribe };

struct ControlMessage {
  std::uint64_t id = 0;
  std::string text;  // the JSON text of the message
  std::size_t streams = 0;
};

// The messages for `streams` (names like "btcusdt@trade": lower case letters, digits and '@', so no
// escaping is needed), at most per_message each, numbered from next_id on (next_id is advanced).
// None for no streams. per_message must be at least 1.
std::vector<ControlMessage> control_messages(StreamMethod method, const std::vector<std::string>& streams,
                                             std::uint64_t& next_id,
                                             std::size_t per_message = kMaxStreamsPerControlMessage);

// Spaces the control messages of one connection by kControlMessageSpacing.
class ControlPacer {
 public:
  // When the next message may go: now, or later when one went out less than the spacing ago.
  std::chrono::steady_clock::time_point next_at(std::chrono::steady_clock::time_point now) const;
  void sent(std::chrono::steady_clock::time_point now) { last_ = now; }

 private:
  std::optional<std::chrono::steady_clock::time_point> last_;
};

}  // namespace mc
