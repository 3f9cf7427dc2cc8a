#pragma once
// AWS Signature Version 4 for requests signed in the Authorization header (S3 PutObject, STS, ...).
// One pure function per phase of the published algorithm, so each phase can be checked against AWS's
// examples on its own:
//   canonical_request -> string_to_sign -> (signing_key) -> signature_hex -> authorization_header
// and sign() composing them. The time and the credentials are arguments: nothing here reads a clock,
// the environment or a file, and nothing here logs.

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/credentials.hpp"
#include "common/status.hpp"

namespace mc {

// Header name -> value. One sorted map gives both the canonical header block and the signed-header list.
using HeaderMap = std::map<std::string, std::string>;

struct SignableRequest {
  std::string method;         // "PUT", "GET", "POST"
  std::string canonical_uri;  // the path as sent, already URI-encoded (see canonical_uri_for_s3_key)
  // Raw (not yet encoded) query parameters; a parameter without a value ("?lifecycle") has an empty one.
  std::vector<std::pair<std::string, std::string>> query;
  // Names in any case, values untrimmed: canonicalisation lower-cases names, trims values and collapses
  // internal runs of spaces. Names that differ only in case are one header, values joined by ','.
  HeaderMap headers;
  std::string payload_sha256_hex;  // hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"
};

struct SigningScope {
  std::string date;  // YYYYMMDD, UTC; must be the date of the request's x-amz-date
  std::string region;
  std::string service;  // "s3", "sts", ...
};

// AWS URI encoding, byte by byte: A-Z a-z 0-9 - . _ ~ stay, every other byte (each byte of a UTF-8
// sequence included) becomes %XX in upper-case hex; '/' stays unless encode_slash.
std::string uri_encode(std::string_view text, bool encode_slash);

// The canonical URI of an S3 object: "/" [+ bucket + "/"] + key, each key segment encoded exactly once
// and never normalised (S3 keys may hold "//", "." or ".."). Other services encode twice; S3 does not.
// bucket_path_prefix is the bucket for path-style addressing, empty for virtual-hosted style.
std::string canonical_uri_for_s3_key(std::string_view bucket_path_prefix, std::string_view key);

// name=value pairs, both encoded with '/' encoded, sorted by encoded name then value, joined by '&'.
std::string canonical_query_string(const std::vector<std::pair<std::string, std::string>>& query);

// "name:value\n" per header, names lower-cased and sorted, values trimmed with spaces collapsed.
std::string canonical_headers(const SignableRequest& request);

// The lower-cased header names, sorted, joined by ';'.
std::string signed_headers(const SignableRequest& request);

// method \n canonical URI \n canonical query \n canonical headers \n signed headers \n payload hash
std::string canonical_request(const SignableRequest& request);

// ISO 8601 basic format, UTC, whole seconds: "20150830T123600Z".
std::string amz_date(std::chrono::system_clock::time_point time);

// "20150830/us-east-1/service/aws4_request"
std::string scope_string(const SigningScope& scope);

// "AWS4-HMAC-SHA256\n" amz_date "\n" scope "\n" hex SHA-256 of the canonical request.
Result<std::string> string_to_sign(std::string_view amz_date, const SigningScope& scope,
                                  std::string_view canonical_request);

// The raw 32-byte key: HMAC chain over "AWS4" + secret, date, region, service, "aws4_request".
Result<std::string> signing_key(std::string_view secret_access_key, const SigningScope& scope);

// Lower-case hex HMAC-SHA256 of the string to sign under the signing key.
Result<std::string> signature_hex(std::string_view signing_key, std::string_view string_to_sign);

// "AWS4-HMAC-SHA256 Credential=<key id>/<scope>, SignedHeaders=<list>, Signature=<hex>"
std::string authorization_header(std::string_view access_key_id, const SigningScope& scope,
                                 std::string_view signed_headers, std::string_view signature);

// Signs a request as of `now`: adds x-amz-date, x-amz-content-sha256 (always, signed) and
// x-amz-security-token (when the credentials carry a session token, signed), and returns every header
// to send, the request's own included (canonicalised), plus "authorization". Any of these four headers
// already in the request is replaced.
// kFatal when the request cannot be signed as given: scope date other than now's, missing credentials
// or payload hash, a header name or value that could not be sent as one HTTP header.
Result<HeaderMap> sign(const SignableRequest& request, const AwsCredentials& credentials, const SigningScope& scope,
                       std::chrono::system_clock::time_point now);

}  // namespace mc
