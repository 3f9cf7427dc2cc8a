#pragma once
// AWS credentials and where the S3 store gets them. The providers (environment, web identity, shared
// files, container, IMDSv2) and the refreshing chain live in their own files; the S3 store only sees
// CredentialsSource.

#include <chrono>
#include <optional>
#include <string>

#include "common/status.hpp"

namespace mc {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;  // never logged
  std::string session_token;      // empty for long-term keys; never logged
  // When temporary credentials stop working; empty for long-term keys.
  std::optional<std::chrono::system_clock::time_point> expiration;
  std::string provider;  // "environment", "web-identity", "profile:<name>", "container", "imds"
};

// "AKIA…MPLE": enough for an operator to tell keys apart in a log, useless to an attacker.
std::string redact_access_key(const std::string& access_key_id);

// What a signer asks for credentials. Thread-safe.
class CredentialsSource {
 public:
  virtual ~CredentialsSource() = default;
  // The credentials to sign with now. Does not wait for the network when cached credentials are still
  // valid; kRetryable when none can be had yet, kFatal when no provider is configured.
  virtual Result<AwsCredentials> current() = 0;
  // The server said the credentials expired (ExpiredToken): fetch new ones before the next current().
  virtual void invalidate() = 0;
};

}  // namespace mc
