#include "app/audit_store_setup.hpp"

#include "audit/s3_store_reader.hpp"
#include "store/s3_reader.hpp"

namespace mc {

Result<AuditStoreSetup> make_audit_store(const Config& config, const EnvLookup& env, const Clock& clock) {
  AuditStoreSetup setup;
  if (config.raw_bucket.empty()) {
    setup.reader = std::make_unique<LocalStoreReader>(config.local_store_dir);
    return setup;
  }
  Result<AwsAccess> access = make_aws_access(config, env, clock);
  if (!access) return access.status();
  setup.aws = std::move(*access);
  const S3ReaderOptions options{.location = s3_location(config, setup.aws.region), .key_prefix = config.s3_prefix};
  // One reader per audit thread (S3Reader is one HTTP client); the credentials source is shared and
  // thread-safe, and outlives the readers (setup owns both).
  setup.reader = std::make_unique<S3StoreReader>(
      [options, credentials = setup.aws.credentials.get(),
       make_client = s3_client_factory(config, kS3ReaderMaxResponseBytes), &clock] {
        return std::make_unique<S3Reader>(options, *credentials, make_client, clock);
      });
  return setup;
}

}  // namespace mc
