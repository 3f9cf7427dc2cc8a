#pragma once
// Parsers and checks for single configuration values. Each failure is a Status whose message says
// what was wrong and what is allowed ("expected ..."); the caller adds the key and the value.

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"

namespace mc {

// Spaces and tabs removed from both ends (list entries: "BTCUSDT, ETHUSDT").
std::string_view trim_blanks(std::string_view text);

// Decimal digits only: no sign, no spaces, no suffix, no overflow.
Result<std::uint64_t> parse_unsigned(std::string_view text, std::uint64_t min, std::uint64_t max);

// true/false/1/0/yes/no, any case.
Result<bool> parse_bool(std::string_view text);

// One of `choices`, exactly as spelled there.
Status check_choice(std::string_view text, std::initializer_list<std::string_view> choices);

// "btcusdt, ETHUSDT" -> {"BTCUSDT", "ETHUSDT"}: spaces around commas trimmed, upper-cased, each
// [A-Z0-9]{2,20}, at least one, no empty entries, no duplicates.
Result<std::vector<std::string>> parse_symbol_list(std::string_view text);

// Empty (resolved later) or [A-Za-z0-9._-]{1,64}.
Status check_instance_id(std::string_view text);
inline constexpr std::size_t kMaxInstanceIdLength = 64;
// The host name made into an instance id: other characters become '-', cut to the maximum length.
std::string instance_id_from_host_name(std::string_view host);

// scheme "://" authority [path]: the scheme one of `schemes`, the authority host[:port] with a
// non-empty host and a port from 1 to 65535, no spaces or control characters anywhere.
Status check_url(std::string_view text, std::initializer_list<std::string_view> schemes);

// host:port with a port from 1 to 65535; the host a name, an IPv4 address or a bracketed IPv6 one.
Status check_host_port(std::string_view text);

// Empty, or [A-Za-z0-9._=/-]* ending in '/', not starting with '/', without ".." or "//".
Status check_s3_prefix(std::string_view text);

// Empty, or an S3 bucket name: 3 to 63 of [a-z0-9.-], starting and ending with a letter or digit.
Status check_bucket_name(std::string_view text);

// Empty, or an AWS region such as us-east-1: [a-z0-9-]{1,32}.
Status check_region(std::string_view text);

// Printable ASCII without spaces (it goes into an HTTP header).
Status check_header_token(std::string_view text);
// An S3 endpoint: http(s)://host[:port], nothing after the authority but slashes.
Status check_endpoint(std::string_view text);

// The file is readable and holds at least one PEM certificate.
Status check_pem_certificates(const std::filesystem::path& path);

}  // namespace mc
