#pragma once
// Builds the object store the configuration asks for: the local directory when RAW_BUCKET is empty,
// otherwise S3 with the AWS credential chain and the region resolved the way the AWS SDKs resolve them.

#include <memory>
#include <string>

#include "aws/aws_env.hpp"
#include "aws/credentials.hpp"
#include "common/clock.hpp"
#include "common/status.hpp"
#include "config/config.hpp"
#include "net/http_client.hpp"
#include "store/s3_address.hpp"
#include "store/object_store.hpp"

namespace mc {

class ImdsClient;

// What every S3 client of the process shares: IMDS (unless disabled), the region, the credentials.
struct AwsAccess {
  std::shared_ptr<ImdsClient> imds;
  std::string region;
  std::unique_ptr<CredentialsSource> credentials;
};

// kFatal naming AWS_REGION when no region can be found. The credentials are not fetched here: the
// refresh thread starts fetching, and a missing provider shows at the first request.
Result<AwsAccess> make_aws_access(const Config& config, const EnvLookup& env, const Clock& clock);

// The bucket the configuration names, in the region found for it.
S3Location s3_location(const Config& config, const std::string& region);

// HTTP clients for S3 and the credential endpoints, trusting TLS_CA_FILE too.
HttpClientFactory s3_client_factory(const Config& config, std::size_t max_response_bytes);

struct ObjectStoreSetup {
  std::shared_ptr<ImdsClient> imds;              // S3 only, and only when IMDS is not disabled
  std::unique_ptr<CredentialsSource> credentials;  // S3 only
  std::unique_ptr<ObjectStore> store;
};

// kFatal (with the key to fix) when the region cannot be found or the endpoint is malformed. The
// credentials are not fetched here: the refresh thread starts fetching, and a missing provider shows
// at the start-up check.
Result<ObjectStoreSetup> make_object_store(const Config& config, const EnvLookup& env, const Clock& clock);

// With S3 on EC2 and INSTANCE_ID unset, the instance id from IMDSv2 replaces the host name in config;
// anywhere else config is left as it is. Returns a line for the start-up log; kFatal when IMDS
// answers an id that INSTANCE_ID itself would not accept.
Result<std::string> resolve_instance_id(Config& config, ImdsClient* imds);

// `<prefix>_collector/startup/<instance>/<started_at_ms>.json`: a new key at every start.
std::string startup_probe_key(std::string_view prefix, std::string_view instance_id, std::int64_t started_at_ms);

// Writes a small object (startup_probe_key) to prove the store accepts
// writes before the first part is due, and logs what it found: "store check: can write" or the refusal
// with its fix. The collector runs either way: parts wait in the spool until the store accepts them.
Status check_store_writable(ObjectStore& store, const Config& config, const Clock& clock);

}  // namespace mc
