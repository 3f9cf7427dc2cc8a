#include "config/value_parsers.hpp"

#include <charconv>
#include <climits>
#include <limits>
#include <memory>
#include <set>

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/file_util.hpp"

namespace mc {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_alnum(char c) { return is_digit(c) || is_lower(c) || is_upper(c); }
bool is_instance_id_char(char c) { return is_alnum(c) || c == '.' || c == '_' || c == '-'; }
bool is_host_char(char c) { return is_alnum(c) || c == '.' || c == '-' || c == '_'; }

char to_lower(char c) { return is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c; }
char to_upper(char c) { return is_lower(c) ? static_cast<char>(c - 'a' + 'A') : c; }

constexpr std::uint16_t kMaxPort = 65535;

// host[:port] where host is a name/IPv4 address or [IPv6]; the port is required when asked for.
bool valid_authority(std::string_view authority, bool port_required) {
  std::string_view host;
  std::string_view rest;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    host = authority.substr(1, close - 1);
    rest = authority.substr(close + 1);
    for (char c : host) {
      if (!is_digit(c) && !(to_lower(c) >= 'a' && to_lower(c) <= 'f') && c != ':' && c != '.') return false;
    }
  } else {
    const std::size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view{} : authority.substr(colon);
    for (char c : host) {
      if (!is_host_char(c)) return false;
    }
  }
  if (host.empty()) return false;
  if (rest.empty()) return !port_required;
  if (rest.front() != ':') return false;
  return parse_unsigned(rest.substr(1), 1, kMaxPort).is_ok();
}

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};

}  // namespace

std::string_view trim_blanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

Result<std::uint64_t> parse_unsigned(std::string_view text, std::uint64_t min, std::uint64_t max) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  // from_chars accepts neither signs nor spaces; checking the first byte also refuses "".
  const bool digits = !text.empty() && is_digit(text.front());
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (!digits || ec != std::errc{} || ptr != end || value < min || value > max) {
    if (max == std::numeric_limits<std::uint64_t>::max()) {
      return Status::fatal(fmt::format("expected an integer of at least {}", min));
    }
    return Status::fatal(fmt::format("expected an integer from {} to {}", min, max));
  }
  return value;
}

Result<bool> parse_bool(std::string_view text) {
  std::string lower;
  for (char c : text) lower += to_lower(c);
  if (lower == "true" || lower == "1" || lower == "yes") return true;
  if (lower == "false" || lower == "0" || lower == "no") return false;
  return Status::fatal("expected true, false, 1, 0, yes or no");
}

Status check_choice(std::string_view text, std::initializer_list<std::string_view> choices) {
  std::string allowed;
  for (std::string_view choice : choices) {
    if (text == choice) return Status::ok();
    allowed += allowed.empty() ? "" : ", ";
    allowed += choice;
  }
  return Status::fatal("expected one of " + allowed);
}

Result<std::vector<std::string>> parse_symbol_list(std::string_view text) {
  constexpr std::string_view kExpected =
      "expected a comma list of symbols, each 2 to 20 letters or digits, no duplicates";
  constexpr std::size_t kMinLength = 2;
  constexpr std::size_t kMaxLength = 20;
  std::vector<std::string> symbols;
  std::set<std::string> seen;
  std::size_t entry = 0;
  while (true) {
    ++entry;
    const std::size_t comma = text.find(',');
    const std::string_view piece = trim_blanks(text.substr(0, comma));
    if (piece.empty()) return Status::fatal(fmt::format("entry {} is empty; {}", entry, kExpected));
    std::string symbol;
    for (char c : piece) symbol += to_upper(c);
    bool valid = symbol.size() >= kMinLength && symbol.size() <= kMaxLength;
    for (char c : symbol) valid = valid && (is_upper(c) || is_digit(c));
    if (!valid) return Status::fatal(fmt::format("\"{}\" is not a symbol; {}", piece, kExpected));
    if (!seen.insert(symbol).second) return Status::fatal(fmt::format("{} appears twice; {}", symbol, kExpected));
    symbols.push_back(std::move(symbol));
    if (comma == std::string_view::npos) return symbols;
    text.remove_prefix(comma + 1);
  }
}

Status check_instance_id(std::string_view text) {
  bool valid = text.size() <= kMaxInstanceIdLength;
  for (char c : text) valid = valid && is_instance_id_char(c);
  if (valid) return Status::ok();
  return Status::fatal(
      fmt::format("expected 1 to {} of A-Z a-z 0-9 . _ - (empty: the host name)", kMaxInstanceIdLength));
}

std::string instance_id_from_host_name(std::string_view host) {
  std::string id;
  for (char c : host.substr(0, kMaxInstanceIdLength)) id += is_instance_id_char(c) ? c : '-';
  return id;
}

Status check_url(std::string_view text, std::initializer_list<std::string_view> schemes) {
  std::string expected;
  bool scheme_ok = false;
  for (std::string_view scheme : schemes) {
    expected += fmt::format("{}{}://", expected.empty() ? "" : " or ", scheme);
    const std::string prefix = fmt::format("{}://", scheme);
    scheme_ok = scheme_ok || text.substr(0, prefix.size()) == prefix;
  }
  bool valid = scheme_ok;
  for (char c : text) valid = valid && static_cast<unsigned char>(c) > ' ' && c != '\x7f';
  if (valid) {
    std::string_view rest = text.substr(text.find("://") + 3);
    valid = valid_authority(rest.substr(0, rest.find_first_of("/?#")), false);
  }
  if (valid) return Status::ok();
  return Status::fatal(fmt::format("expected a URL starting with {} followed by host[:port]", expected));
}

Status check_endpoint(std::string_view text) {
  if (Status url = check_url(text, {"http", "https"}); !url) return url;
  std::string_view rest = text.substr(text.find("://") + 3);
  while (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.find_first_of("/?#") == std::string_view::npos) return Status::ok();
  return Status::fatal("expected http(s)://host[:port] without a path, query or fragment");
}

Status check_host_port(std::string_view text) {
  if (valid_authority(text, true)) return Status::ok();
  return Status::fatal("expected host:port with a port from 1 to 65535");
}

Status check_s3_prefix(std::string_view text) {
  if (text.empty()) return Status::ok();
  bool valid = text.back() == '/' && text.front() != '/' && text.find("..") == std::string_view::npos &&
               text.find("//") == std::string_view::npos;
  for (char c : text) {
    valid = valid && (is_alnum(c) || c == '.' || c == '_' || c == '=' || c == '/' || c == '-');
  }
  if (valid) return Status::ok();
  return Status::fatal(
      "expected empty or A-Z a-z 0-9 . _ = / - ending in '/', not starting with '/', without '..' or '//'");
}

Status check_bucket_name(std::string_view text) {
  constexpr std::size_t kMin = 3;
  constexpr std::size_t kMax = 63;
  if (text.empty()) return Status::ok();
  bool valid = text.size() >= kMin && text.size() <= kMax && (is_lower(text.front()) || is_digit(text.front())) &&
               (is_lower(text.back()) || is_digit(text.back()));
  for (char c : text) valid = valid && (is_lower(c) || is_digit(c) || c == '.' || c == '-');
  if (valid) return Status::ok();
  return Status::fatal("expected empty or an S3 bucket name: 3 to 63 of a-z 0-9 . -, starting and ending with a-z 0-9");
}

Status check_region(std::string_view text) {
  constexpr std::size_t kMax = 32;
  bool valid = text.size() <= kMax;
  for (char c : text) valid = valid && (is_lower(c) || is_digit(c) || c == '-');
  if (valid) return Status::ok();
  return Status::fatal("expected empty or an AWS region such as us-east-1 (a-z 0-9 -)");
}

Status check_header_token(std::string_view text) {
  for (char c : text) {
    if (c <= ' ' || c > '~') return Status::fatal("expected printable ASCII without spaces");
  }
  return Status::ok();
}

Status check_pem_certificates(const std::filesystem::path& path) {
  constexpr std::string_view kExpected = "expected a readable PEM file with at least one certificate";
  Result<std::string> content = read_file(path);
  if (!content) return Status::fatal(fmt::format("{}; {}", content.status().message(), kExpected));
  if (content->size() > static_cast<std::size_t>(INT_MAX)) {
    return Status::fatal(fmt::format("too large; {}", kExpected));
  }
  const std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(content->data(), static_cast<int>(content->size())));
  if (!bio) return Status::fatal(fmt::format("out of memory reading it; {}", kExpected));
  const std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  // A failed read leaves entries on the thread's OpenSSL error queue that later TLS code would
  // otherwise report as its own.
  ERR_clear_error();
  if (!cert) return Status::fatal(fmt::format("no PEM certificate in the file; {}", kExpected));
  return Status::ok();
}

}  // namespace mc
