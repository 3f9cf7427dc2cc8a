#pragma once
// What the S3 writer's and reader's tests share: numbered credentials and S3's error body.

#include <atomic>
#include <string>

#include "aws/credentials.hpp"

namespace mc::testing {

// Hands out numbered credentials; invalidate() moves to the next set.
class CountingCredentials final : public CredentialsSource {
 public:
  Result<AwsCredentials> current() override {
    const int n = generation_.load();
    return AwsCredentials{.access_key_id = "AKIDEXAMPLE" + std::to_string(n),
                          .secret_access_key = "secret" + std::to_string(n),
                          .session_token = "token" + std::to_string(n),
                          .provider = "test"};
  }
  void invalidate() override { ++generation_; }
  int generation() const { return generation_.load(); }

 private:
  std::atomic<int> generation_{1};
};

inline std::string s3_error_body(const std::string& code) {
  return "<Error><Code>" + code + "</Code><Message>msg " + code + "</Message></Error>";
}

}  // namespace mc::testing
