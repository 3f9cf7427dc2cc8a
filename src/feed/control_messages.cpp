#include "feed/control_messages.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace mc {

std::vector<ControlMessage> control_messages(StreamMethod method, const std::vector<std::string>& streams,
                                             std::uint64_t& next_id, std::size_t per_message) {
  const char* name = method == StreamMethod::kSubscribe ? "SUBSCRIBE" : "UNSUBSCRIBE";
  std::vector<ControlMessage> messages;
  for (std::size_t first = 0; first < streams.size(); first += per_message) {
    const std::size_t count = std::min(per_message, streams.size() - first);
    ControlMessage message{.id = next_id++, .streams = count};
    message.text = fmt::format(R"({{"method":"{}","params":[)", name);
    for (std::size_t i = first; i < first + count; ++i) {
      if (i > first) message.text += ',';
      message.text += '"';
      message.text += streams[i];
      message.text += '"';
    }
    message.text += fmt::format(R"(],"id":{}}})", message.id);
    messages.push_back(std::move(message));
  }
  return messages;
}

std::chrono::steady_clock::time_point ControlPacer::next_at(std::chrono::steady_clock::time_point now) const {
  if (!last_) return now;
  return std::max(now, *last_ + kControlMessageSpacing);
}

}  // namespace mc
