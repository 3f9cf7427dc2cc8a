#include "app/object_store_setup.hpp"

#include <nlohmann/json.hpp>

#include "aws/aws_region.hpp"
#include "aws/credential_providers.hpp"
#include "aws/imds_client.hpp"
#include "aws/refreshing_credentials.hpp"
#include "common/log.hpp"
#include "common/sha256.hpp"
#include "net/http_client.hpp"
#include "store/local_store.hpp"
#include "store/s3_store.hpp"

namespace mc {

namespace {

HttpClientFactory client_factory(const Config& config) {
  HttpClientOptions options;
  options.ca_file = config.tls_ca_file;
  return [options] { return make_http_client(options); };
}

}  // namespace

Result<ObjectStoreSetup> make_object_store(const Config& config, const EnvLookup& env, const Clock& clock) {
  ObjectStoreSetup setup;
  if (config.raw_bucket.empty()) {
    setup.store = std::make_unique<LocalStore>(config.local_store_dir);
    return setup;
  }
  if (const std::optional<ImdsOptions> imds_options = imds_options_from_env(env)) {
    setup.imds = std::make_shared<ImdsClient>(make_http_client(imds_http_client_options()), clock, *imds_options);
  }
  std::string region = config.aws_region;
  if (region.empty()) {
    Result<std::string> resolved = resolve_region(env, setup.imds.get());
    if (!resolved) return Status::fatal("AWS_REGION is not set and " + resolved.status().message());
    region = *resolved;
  }
  const HttpClientFactory make_client = client_factory(config);
  DefaultChainOptions chain{.env = env, .region = region, .http = make_client, .imds = setup.imds};
  setup.credentials = std::make_unique<RefreshingCredentials>(make_default_chain(std::move(chain), clock), clock);
  S3StoreOptions options{
      .location = {.bucket = config.raw_bucket,
                   .region = region,
                   .endpoint = config.s3_endpoint,
                   .force_path_style = config.s3_force_path_style},
      .key_prefix = config.s3_prefix,
      .sse = config.s3_sse,
      .sse_kms_key_id = config.s3_sse_kms_key_id,
  };
  setup.store = std::make_unique<S3Store>(std::move(options), *setup.credentials, make_client, clock);
  return setup;
}

std::string resolve_instance_id(Config& config, ImdsClient* imds) {
  if (!config.instance_id_from_host || config.raw_bucket.empty() || imds == nullptr) {
    return "instance_id=" + config.instance_id;
  }
  Result<std::string> id = imds->instance_id();
  if (!id) return "instance_id=" + config.instance_id + " (host name; IMDS: " + id.status().message() + ")";
  config.instance_id = *id;
  config.instance_id_from_host = false;
  return "instance_id=" + config.instance_id + " (from IMDSv2)";
}

Status check_store_writable(ObjectStore& store, const Config& config, const Clock& clock) {
  const auto log = make_logger("app");
  const std::string key = config.s3_prefix + "_collector/startup/" + config.instance_id + ".json";
  const std::string body = nlohmann::json{{"instance_id", config.instance_id},
                                          {"collector_version", MC_VERSION},
                                          {"symbols", config.symbols},
                                          {"started_at_ms", clock.system_now_us() / 1000}}
                               .dump() +
                           "\n";
  Result<std::string> sha = sha256_hex(body);
  if (!sha) return sha.status();
  Status stored = store.put({.key = key, .body = body, .content_type = "application/json", .sha256_hex = *sha});
  if (stored) {
    log->info("store check: can write store={} key={}", store.describe(), key);
  } else {
    log->error("store check: cannot write store={} key={} error={}: {}; collecting into the spool anyway, uploads are "
               "retried until the store accepts them",
               store.describe(), key, to_string(stored.kind()), stored.message());
  }
  return stored;
}

}  // namespace mc
