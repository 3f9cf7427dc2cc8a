#include "common/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace mc {
namespace {

// make_logger recognises a default logger installed by init_logging by this name.
constexpr std::string_view kBaseLoggerName = "market-collector";

constexpr char kJsonNameFlag = '&';
constexpr char kJsonMessageFlag = '*';
constexpr const char* kTextPattern = "%Y-%m-%dT%H:%M:%S.%fZ %^%-5l%$ [%n] %v";
constexpr const char* kJsonPattern =
    R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","component":"%&","msg":"%*"})";

// Length of the well-formed UTF-8 sequence at text[i] (RFC 3629: no overlongs, no surrogates,
// nothing above U+10FFFF); 0 when the byte there does not start one.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto lead = static_cast<unsigned char>(text[i]);
  std::size_t length = 0;
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) length = 2;
  else if (lead >= 0xe0 && lead <= 0xef) length = 3;
  else if (lead >= 0xf0 && lead <= 0xf4) length = 4;
  else return 0;
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) return 0;
  }
  const auto second = static_cast<unsigned char>(text[i + 1]);
  if ((lead == 0xe0 && second < 0xa0) || (lead == 0xed && second > 0x9f) || (lead == 0xf0 && second < 0x90) ||
      (lead == 0xf4 && second > 0x8f)) {
    return 0;
  }
  return length;
}

// Messages may quote what the network sent, so anything can be in them: the output must stay one
// valid JSON string whatever the bytes. Invalid UTF-8 becomes U+FFFD.
void append_json_escaped(std::string_view text, spdlog::memory_buf_t& dest) {
  constexpr std::string_view kHex = "0123456789abcdef";
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    const auto byte = static_cast<unsigned char>(c);
    std::string_view escaped;
    switch (c) {
      case '"': escaped = "\\\""; break;
      case '\\': escaped = "\\\\"; break;
      case '\n': escaped = "\\n"; break;
      case '\r': escaped = "\\r"; break;
      case '\t': escaped = "\\t"; break;
      default: break;
    }
    if (!escaped.empty()) {
      dest.append(escaped.data(), escaped.data() + escaped.size());
      ++i;
    } else if (byte < 0x20 || byte == 0x7f) {
      const char unicode[] = {'\\', 'u', '0', '0', kHex[byte >> 4], kHex[byte & 0xf]};
      dest.append(unicode, unicode + sizeof unicode);
      ++i;
    } else if (const std::size_t length = utf8_sequence_length(text, i); length > 0) {
      dest.append(text.data() + i, text.data() + i + length);
      i += length;
    } else {
      constexpr std::string_view kReplacement = "\\ufffd";
      dest.append(kReplacement.data(), kReplacement.data() + kReplacement.size());
      ++i;
    }
  }
}

class JsonEscapedFlag final : public spdlog::custom_flag_formatter {
 public:
  enum class Field { kLoggerName, kMessage };

  explicit JsonEscapedFlag(Field field) : field_(field) {}

  void format(const spdlog::details::log_msg& msg, const std::tm& /*time*/, spdlog::memory_buf_t& dest) override {
    const spdlog::string_view_t text = field_ == Field::kMessage ? msg.payload : msg.logger_name;
    append_json_escaped(std::string_view(text.data(), text.size()), dest);
  }

  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<JsonEscapedFlag>(field_); }

 private:
  Field field_;
};

std::unique_ptr<spdlog::formatter> make_formatter(LogFormat format) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  if (format == LogFormat::kJson) {
    formatter->add_flag<JsonEscapedFlag>(kJsonNameFlag, JsonEscapedFlag::Field::kLoggerName)
        .add_flag<JsonEscapedFlag>(kJsonMessageFlag, JsonEscapedFlag::Field::kMessage)
        .set_pattern(kJsonPattern);
  } else {
    formatter->set_pattern(kTextPattern);
  }
  return formatter;
}

std::shared_ptr<spdlog::logger> make_base_logger(spdlog::level::level_enum level, LogFormat format) {
  spdlog::sink_ptr sink;
  // Colour escapes would corrupt machine-read lines; for people they help when stderr is a terminal.
  if (format == LogFormat::kJson) {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else {
    sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  }
  sink->set_formatter(make_formatter(format));
  auto logger = std::make_shared<spdlog::logger>(std::string(kBaseLoggerName), std::move(sink));
  logger->set_level(level);
  return logger;
}

}  // namespace

bool init_logging(std::string_view level, LogFormat format) {
  const spdlog::level::level_enum parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") return false;
  spdlog::set_default_logger(make_base_logger(parsed, format));
  // Loggers made through spdlog's own factories (libraries, tests) get the same format and level.
  spdlog::set_formatter(make_formatter(format));
  spdlog::set_level(parsed);
  return true;
}

std::shared_ptr<spdlog::logger> make_logger(std::string_view component) {
  // Component loggers are clones of the default logger sharing its sink; they are not registered,
  // so concurrent calls cannot collide in spdlog's registry (register_logger throws on duplicates).
  std::shared_ptr<spdlog::logger> base = spdlog::default_logger();
  if (base == nullptr || base->name() != kBaseLoggerName) {
    // init_logging has not run: spdlog's own default writes to stdout, logs belong on stderr.
    base = make_base_logger(spdlog::level::info, LogFormat::kText);
  }
  return base->clone(std::string(component));
}

std::string log_safe(std::string_view text, std::size_t max_bytes) {
  std::string safe(text.substr(0, max_bytes));
  for (char& c : safe) {
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) c = '_';
  }
  return safe;
}

}  // namespace mc
