#include "aws/sigv4.hpp"

#include <algorithm>

#include "aws/hmac.hpp"
#include "common/sha256.hpp"

namespace mc {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kScopeTerminator = "aws4_request";

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

char lower_ascii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// RFC 9110 token characters: anything else in a name would not survive the trip as one header.
bool is_token_char(unsigned char c) {
  return is_unreserved(c) || std::string_view("!#$%&'*+^`|").find(static_cast<char>(c)) != std::string_view::npos;
}

// Trims leading and trailing blanks and collapses each inner run of blanks to one space. AWS collapses
// inside quoted strings too (test suite case get-header-value-trim).
std::string trim_all(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (const char c : value) {
    if (is_blank(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

HeaderMap normalized_headers(const HeaderMap& headers) {
  HeaderMap out;
  for (const auto& [name, value] : headers) {
    std::string lower(name.size(), '\0');
    std::transform(name.begin(), name.end(), lower.begin(), lower_ascii);
    auto [it, inserted] = out.try_emplace(std::move(lower), trim_all(value));
    if (!inserted) (it->second += ',') += trim_all(value);
  }
  return out;
}

std::string canonical_headers_of(const HeaderMap& normalized) {
  std::string out;
  for (const auto& [name, value] : normalized) {
    out += name;
    out += ':';
    out += value;
    out += '\n';
  }
  return out;
}

std::string signed_headers_of(const HeaderMap& normalized) {
  std::string out;
  for (const auto& entry : normalized) {
    if (!out.empty()) out += ';';
    out += entry.first;
  }
  return out;
}

std::string canonical_request_of(const SignableRequest& request, const HeaderMap& normalized) {
  std::string out;
  out += request.method;
  out += '\n';
  out += request.canonical_uri;
  out += '\n';
  out += canonical_query_string(request.query);
  out += '\n';
  out += canonical_headers_of(normalized);
  out += '\n';
  out += signed_headers_of(normalized);
  out += '\n';
  out += request.payload_sha256_hex;
  return out;
}

std::string to_hex(std::string_view bytes) {
  static constexpr std::string_view kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    out += kDigits[byte >> 4];
    out += kDigits[byte & 0x0f];
  }
  return out;
}

void append_digits(std::string& out, unsigned value, int width) {
  std::string digits(static_cast<std::size_t>(width), '0');
  for (int i = width - 1; i >= 0 && value > 0; --i, value /= 10) {
    digits[static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
  }
  out += digits;
}

Status check_sendable(const HeaderMap& headers) {
  for (const auto& [name, value] : headers) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
          return is_token_char(static_cast<unsigned char>(c));
        })) {
      return Status::fatal("SigV4: header name \"" + name + "\" is not an HTTP token");
    }
    // The value is not quoted back: it may hold a secret.
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return Status::fatal("SigV4: header " + name + " has a line break or NUL in its value");
    }
  }
  return Status::ok();
}

}  // namespace

std::string uri_encode(std::string_view text, bool encode_slash) {
  static constexpr std::string_view kDigits = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (is_unreserved(byte) || (c == '/' && !encode_slash)) {
      out += c;
    } else {
      out += '%';
      out += kDigits[byte >> 4];
      out += kDigits[byte & 0x0f];
    }
  }
  return out;
}

std::string canonical_uri_for_s3_key(std::string_view bucket_path_prefix, std::string_view key) {
  std::string out = "/";
  if (!bucket_path_prefix.empty()) {
    out += uri_encode(bucket_path_prefix, /*encode_slash=*/true);
    if (!key.empty()) out += '/';
  }
  out += uri_encode(key, /*encode_slash=*/false);
  return out;
}

std::string canonical_query_string(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) {
    encoded.emplace_back(uri_encode(name, /*encode_slash=*/true), uri_encode(value, /*encode_slash=*/true));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string canonical_headers(const SignableRequest& request) {
  return canonical_headers_of(normalized_headers(request.headers));
}

std::string signed_headers(const SignableRequest& request) {
  return signed_headers_of(normalized_headers(request.headers));
}

std::string canonical_request(const SignableRequest& request) {
  return canonical_request_of(request, normalized_headers(request.headers));
}

std::string amz_date(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto seconds_since_epoch = floor<seconds>(time);
  const auto day = floor<days>(seconds_since_epoch);
  const year_month_day date{day};
  const hh_mm_ss time_of_day{seconds_since_epoch - day};
  std::string out;
  out.reserve(16);
  append_digits(out, static_cast<unsigned>(static_cast<int>(date.year())), 4);
  append_digits(out, static_cast<unsigned>(date.month()), 2);
  append_digits(out, static_cast<unsigned>(date.day()), 2);
  out += 'T';
  append_digits(out, static_cast<unsigned>(time_of_day.hours().count()), 2);
  append_digits(out, static_cast<unsigned>(time_of_day.minutes().count()), 2);
  append_digits(out, static_cast<unsigned>(time_of_day.seconds().count()), 2);
  out += 'Z';
  return out;
}

std::string scope_string(const SigningScope& scope) {
  std::string out;
  out += scope.date;
  out += '/';
  out += scope.region;
  out += '/';
  out += scope.service;
  out += '/';
  out += kScopeTerminator;
  return out;
}

Result<std::string> string_to_sign(std::string_view amz_date, const SigningScope& scope,
                                   std::string_view canonical_request) {
  Result<std::string> request_hash = sha256_hex(canonical_request);
  if (!request_hash) return request_hash.status();
  std::string out(kAlgorithm);
  out += '\n';
  out += amz_date;
  out += '\n';
  out += scope_string(scope);
  out += '\n';
  out += *request_hash;
  return out;
}

Result<std::string> signing_key(std::string_view secret_access_key, const SigningScope& scope) {
  std::string key = "AWS4";
  key += secret_access_key;
  for (const std::string_view step : {std::string_view(scope.date), std::string_view(scope.region),
                                      std::string_view(scope.service), kScopeTerminator}) {
    Result<std::string> next = hmac_sha256(key, step);
    if (!next) return next.status().with_context("deriving the SigV4 signing key");
    key = std::move(next).value();
  }
  return key;
}

Result<std::string> signature_hex(std::string_view signing_key, std::string_view string_to_sign) {
  Result<std::string> mac = hmac_sha256(signing_key, string_to_sign);
  if (!mac) return mac.status().with_context("signing");
  return to_hex(*mac);
}

std::string authorization_header(std::string_view access_key_id, const SigningScope& scope,
                                 std::string_view signed_headers, std::string_view signature) {
  std::string out(kAlgorithm);
  out += " Credential=";
  out += access_key_id;
  out += '/';
  out += scope_string(scope);
  out += ", SignedHeaders=";
  out += signed_headers;
  out += ", Signature=";
  out += signature;
  return out;
}

Result<HeaderMap> sign(const SignableRequest& request, const AwsCredentials& credentials, const SigningScope& scope,
                       std::chrono::system_clock::time_point now) {
  const std::string date_time = amz_date(now);
  if (std::string_view(date_time).substr(0, 8) != scope.date) {
    return Status::fatal("SigV4: scope date " + scope.date + " is not the date of the request time " + date_time);
  }
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return Status::fatal("SigV4: no access key id or secret access key to sign with");
  }
  if (request.payload_sha256_hex.empty()) return Status::fatal("SigV4: the request has no payload hash");

  // Canonicalise first so that a caller's own "X-Amz-Date" is replaced, not merged with ours.
  HeaderMap headers = normalized_headers(request.headers);
  headers["x-amz-date"] = date_time;
  headers["x-amz-content-sha256"] = request.payload_sha256_hex;
  if (!credentials.session_token.empty()) headers["x-amz-security-token"] = credentials.session_token;
  headers.erase("authorization");
  if (Status sendable = check_sendable(headers); !sendable) return sendable;

  Result<std::string> to_sign = string_to_sign(date_time, scope, canonical_request_of(request, headers));
  if (!to_sign) return to_sign.status();
  Result<std::string> key = signing_key(credentials.secret_access_key, scope);
  if (!key) return key.status();
  Result<std::string> signature = signature_hex(*key, *to_sign);
  if (!signature) return signature.status();

  headers["authorization"] =
      authorization_header(credentials.access_key_id, scope, signed_headers_of(headers), *signature);
  return headers;
}

}  // namespace mc
