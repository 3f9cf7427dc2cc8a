#include "aws/aws_region.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "aws/imds_client.hpp"
#include "scripted_http_client.hpp"
#include "support/fake_clock.hpp"
#include "support/temp_dir.hpp"

namespace mc {
namespace {

using testing::fake_env;
using testing::http_response;

class AwsRegionTest : public ::testing::Test {
 protected:
  AwsRegionTest() { std::filesystem::create_directories(home_.path() / ".aws"); }

  void write_config(std::string_view text) { std::ofstream(home_.path() / ".aws" / "config") << text; }
  EnvLookup env(std::map<std::string, std::string> extra = {}) const {
    extra.emplace("HOME", home_.path().string());
    return fake_env(std::move(extra));
  }
  void script_imds_region(std::string region) {
    http_->expect("PUT", "http://169.254.169.254/latest/api/token", http_response(200, "t"));
    http_->expect("GET", "http://169.254.169.254/latest/meta-data/placement/region",
                  http_response(200, std::move(region)));
  }

  testing::TempDir home_;
  testing::FakeClock clock_;
  std::shared_ptr<testing::HttpScript> http_ = std::make_shared<testing::HttpScript>();
  ImdsClient imds_{http_->client(), clock_, ImdsOptions{}};
};

TEST_F(AwsRegionTest, FollowsTheSdkOrder) {
  write_config("[default]\nregion = eu-north-1\n[profile other]\nregion = sa-east-1\n");
  EXPECT_EQ(*resolve_region(env({{"AWS_REGION", "us-west-2"}, {"AWS_DEFAULT_REGION", "us-east-1"}}), &imds_),
            "us-west-2");
  EXPECT_EQ(*resolve_region(env({{"AWS_DEFAULT_REGION", "us-east-1"}}), &imds_), "us-east-1");
  EXPECT_EQ(*resolve_region(env(), &imds_), "eu-north-1");
  EXPECT_EQ(*resolve_region(env({{"AWS_PROFILE", "other"}}), &imds_), "sa-east-1");
  EXPECT_TRUE(http_->requests().empty());

  write_config("[default]\noutput = json\n");
  script_imds_region("ca-central-1");
  EXPECT_EQ(*resolve_region(env(), &imds_), "ca-central-1");
}

TEST_F(AwsRegionTest, ErrorListsWhatWasTried) {
  const Result<std::string> disabled = resolve_region(env(), nullptr);
  ASSERT_FALSE(disabled);
  EXPECT_EQ(disabled.status().kind(), ErrorKind::kFatal);
  EXPECT_NE(disabled.status().message().find("AWS_REGION and AWS_DEFAULT_REGION are unset"), std::string::npos);
  EXPECT_NE(disabled.status().message().find("profile \"default\""), std::string::npos);
  EXPECT_NE(disabled.status().message().find("IMDS is disabled"), std::string::npos);

  http_->expect("PUT", "http://169.254.169.254/latest/api/token", Status::retryable("connect timeout"));
  http_->expect("PUT", "http://169.254.169.254/latest/api/token", Status::retryable("connect timeout"));
  const Result<std::string> off_ec2 = resolve_region(env(), &imds_);
  ASSERT_FALSE(off_ec2);
  EXPECT_NE(off_ec2.status().message().find("IMDS placement/region"), std::string::npos);
  EXPECT_NE(off_ec2.status().message().find("connect timeout"), std::string::npos);
}

TEST_F(AwsRegionTest, MalformedConfigFileIsReported) {
  write_config("[default]\nregion\n");
  const Result<std::string> region = resolve_region(env(), nullptr);
  ASSERT_FALSE(region);
  EXPECT_NE(region.status().message().find("config:2:"), std::string::npos) << region.status().message();
}

}  // namespace
}  // namespace mc
