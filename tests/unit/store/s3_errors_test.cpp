#include "store/s3_errors.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mc {
namespace {

using ::testing::HasSubstr;

std::string error_body(const std::string& code, const std::string& message = "m") {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>" + message +
         "</Message><RequestId>R</RequestId></Error>";
}

S3Verdict classify(long status, const std::string& body) { return classify_s3_response(status, body, "bkt", "raw/", S3Operation::kWrite); }

TEST(S3ErrorsTest, SuccessIsStored) {
  EXPECT_EQ(classify(200, "").action, S3Action::kStored);
  EXPECT_EQ(classify(204, "").action, S3Action::kStored);
}

TEST(S3ErrorsTest, ThrottlingServerErrorsAndTimeoutsRetry) {
  EXPECT_EQ(classify(503, error_body("SlowDown")).action, S3Action::kRetry);
  EXPECT_EQ(classify(500, error_body("InternalError")).action, S3Action::kRetry);
  EXPECT_EQ(classify(400, error_body("RequestTimeout")).action, S3Action::kRetry);
  EXPECT_EQ(classify(502, "<html>bad gateway</html>").action, S3Action::kRetry);
  EXPECT_EQ(classify(429, "").action, S3Action::kRetry);
  EXPECT_EQ(classify(400, error_body("BadDigest")).action, S3Action::kRetry);
  EXPECT_EQ(classify(400, error_body("XAmzContentSHA256Mismatch")).action, S3Action::kRetry);
}

TEST(S3ErrorsTest, ExpiredCredentialsRefresh) {
  EXPECT_EQ(classify(400, error_body("ExpiredToken")).action, S3Action::kRefreshCredentials);
  EXPECT_EQ(classify(403, error_body("ExpiredToken")).action, S3Action::kRefreshCredentials);
  EXPECT_EQ(classify(400, error_body("TokenRefreshRequired")).action, S3Action::kRefreshCredentials);
}

TEST(S3ErrorsTest, SkewResigns) {
  EXPECT_EQ(classify(403, error_body("RequestTimeTooSkewed")).action, S3Action::kResign);
}

TEST(S3ErrorsTest, PermissionKeyAndBucketErrorsNeedAnOperatorAndSayWhatToFix) {
  const S3Verdict denied = classify(403, error_body("AccessDenied", "Access Denied"));
  EXPECT_EQ(denied.action, S3Action::kOperatorFix);
  EXPECT_EQ(denied.code, "AccessDenied");
  EXPECT_EQ(denied.message, "Access Denied");
  EXPECT_THAT(denied.fix, HasSubstr("s3:PutObject on arn:aws:s3:::bkt/raw/*"));
  EXPECT_THAT(classify(403, error_body("SignatureDoesNotMatch")).fix, HasSubstr("secret"));
  EXPECT_THAT(classify(403, error_body("InvalidAccessKeyId")).fix, HasSubstr("access key id"));
  EXPECT_THAT(classify(404, error_body("NoSuchBucket")).fix, HasSubstr("RAW_BUCKET"));
  EXPECT_THAT(classify(301, error_body("PermanentRedirect")).fix, HasSubstr("AWS_REGION"));
  EXPECT_THAT(classify(400, error_body("AuthorizationHeaderMalformed")).fix, HasSubstr("AWS_REGION"));
}

TEST(S3ErrorsTest, ForbiddenWithoutBodyIsStillClassified) {
  const S3Verdict verdict = classify(403, "");
  EXPECT_EQ(verdict.action, S3Action::kOperatorFix);
  EXPECT_EQ(verdict.code, "HTTP 403");
  EXPECT_THAT(verdict.fix, HasSubstr("s3:PutObject"));
}

TEST(S3ErrorsTest, UnknownClientErrorWaitsForAnOperator) {
  const S3Verdict verdict = classify(400, error_body("SomethingNew"));
  EXPECT_EQ(verdict.action, S3Action::kOperatorFix);
  EXPECT_EQ(verdict.code, "SomethingNew");
}

}  // namespace
}  // namespace mc
