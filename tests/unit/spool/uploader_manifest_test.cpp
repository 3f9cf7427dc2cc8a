#include "spool/uploader_manifest.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mc {
namespace {

constexpr const char* kManifest =
    R"({"version":"1","source":{"instance_id":"i-a"},"payload":{"s3_key":"raw/a/part-i-a-5.jsonl.gz",)"
    R"("sha256":"ab12","record_count":3},"created_at_ms":9,"extra":{"part_seq":4,"prev_s3_key":"raw/a/part-i-a-4.jsonl.gz"}})"
    "\n";

TEST(UploaderManifest, ReadsTheKeyAndTheSha256ItVouchesFor) {
  const Result<VouchedPayload> payload = read_vouched_payload(kManifest);
  ASSERT_TRUE(payload) << payload.status().message();
  EXPECT_EQ(payload->s3_key, "raw/a/part-i-a-5.jsonl.gz");
  EXPECT_EQ(payload->sha256, "ab12");
}

TEST(UploaderManifest, NamesWhatIsMissing) {
  EXPECT_EQ(read_vouched_payload("{not json").status().message(), "manifest is not JSON");
  EXPECT_EQ(read_vouched_payload(R"({"payload":{"sha256":"ab"}})").status().message(),
            "manifest has no string payload.s3_key");
  const Status no_sha = read_vouched_payload(R"({"payload":{"s3_key":"k","sha256":7}})").status();
  EXPECT_EQ(no_sha.kind(), ErrorKind::kCorrupt);
  EXPECT_EQ(no_sha.message(), "manifest has no string payload.sha256");
}

TEST(UploaderManifest, ANewKeyChangesPayloadS3KeyAndNothingElse) {
  const Result<std::string> moved = manifest_with_s3_key(kManifest, "raw/a/part-i-a-3.jsonl.gz");
  ASSERT_TRUE(moved) << moved.status().message();
  std::string expected = kManifest;
  expected.replace(expected.find("part-i-a-5"), 10, "part-i-a-3");
  EXPECT_EQ(*moved, expected);
  EXPECT_NE(moved->find(R"("prev_s3_key":"raw/a/part-i-a-4.jsonl.gz")"), std::string::npos);
}

TEST(UploaderManifest, AKeyNotWrittenAsThisCollectorWritesItIsRefused) {
  const Result<std::string> spaced =
      manifest_with_s3_key(R"({"payload":{"s3_key": "k","sha256":"ab"}})", "other");
  EXPECT_EQ(spaced.status().kind(), ErrorKind::kCorrupt);
}

}  // namespace
}  // namespace mc
