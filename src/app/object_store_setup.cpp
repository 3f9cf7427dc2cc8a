#include "app/object_store_setup.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "aws/aws_region.hpp"
#include "aws/credential_providers.hpp"
#include "aws/imds_client.hpp"
#include "aws/plaintext_endpoints.hpp"
#include "aws/refreshing_credentials.hpp"
#include "common/log.hpp"
#include "common/sha256.hpp"
#include "config/value_parsers.hpp"
#include "net/http_client.hpp"
#include "store/local_store.hpp"
#include "store/s3_store.hpp"

namespace mc {

S3Location s3_location(const Config& config, const std::string& region) {
  return {.bucket = config.raw_bucket,
          .region = region,
          .endpoint = config.s3_endpoint,
          .force_path_style = config.s3_force_path_style};
}

HttpClientFactory s3_client_factory(const Config& config, std::size_t max_response_bytes) {
  HttpClientOptions options;
  options.ca_file = config.tls_ca_file;
  options.max_response_bytes = max_response_bytes;
  return [options] { return make_http_client(options); };
}

// The analyzer loses track of the unique_ptr once it moves into the Result's variant and reports a
// leak at the closing brace; ownership is plain here.
// NOLINTBEGIN(clang-analyzer-cplusplus.NewDeleteLeaks)
Result<AwsAccess> make_aws_access(const Config& config, const EnvLookup& env, const Clock& clock) {
  AwsAccess access;
  if (const std::optional<ImdsOptions> imds_options = imds_options_from_env(env)) {
    access.imds = std::make_shared<ImdsClient>(make_http_client(imds_http_client_options()), clock, *imds_options);
  }
  access.region = config.aws_region;
  if (access.region.empty()) {
    Result<std::string> resolved = resolve_region(env, access.imds.get());
    if (!resolved) return Status::fatal("AWS_REGION is not set and " + resolved.status().message());
    access.region = *resolved;
  }
  DefaultChainOptions chain{.env = env,
                            .region = access.region,
                            .http = s3_client_factory(config, HttpClientOptions{}.max_response_bytes),
                            .container_http =
                                [ca_file = config.tls_ca_file] {
                                  return make_http_client(HttpClientOptions{.ca_file = ca_file, .bypass_proxy = true});
                                },
                            .imds = access.imds};
  access.credentials = std::make_unique<RefreshingCredentials>(make_default_chain(std::move(chain), clock), clock);
  return access;
}
// NOLINTEND(clang-analyzer-cplusplus.NewDeleteLeaks)

Result<ObjectStoreSetup> make_object_store(const Config& config, const EnvLookup& env, const Clock& clock) {
  ObjectStoreSetup setup;
  if (config.raw_bucket.empty()) {
    setup.store = std::make_unique<LocalStore>(config.local_store_dir);
    return setup;
  }
  if (const std::optional<std::string> warning = plaintext_endpoint_warning(config.s3_endpoint, env)) {
    make_logger("s3")->warn("{}", *warning);
  }
  Result<AwsAccess> access = make_aws_access(config, env, clock);
  if (!access) return access.status();
  S3StoreOptions options{
      .location = s3_location(config, access->region),
      .key_prefix = config.s3_prefix,
      .sse = config.s3_sse,
      .sse_kms_key_id = config.s3_sse_kms_key_id,
  };
  setup.imds = std::move(access->imds);
  setup.credentials = std::move(access->credentials);
  setup.store = std::make_unique<S3Store>(std::move(options), *setup.credentials,
                                          s3_client_factory(config, HttpClientOptions{}.max_response_bytes), clock);
  return setup;
}

Result<std::string> resolve_instance_id(Config& config, ImdsClient* imds) {
  if (!config.instance_id_from_host || config.raw_bucket.empty() || imds == nullptr) {
    return "instance_id=" + config.instance_id;
  }
  Result<std::string> id = imds->instance_id();
  if (!id) return "instance_id=" + config.instance_id + " (host name; IMDS: " + id.status().message() + ")";
  // It names every key this instance writes: what IMDS says is held to the rule INSTANCE_ID is held to.
  if (Status valid = check_instance_id(*id); !valid || id->empty()) {
    return Status::fatal(fmt::format("the instance id from IMDSv2 \"{}\" cannot name keys: {}; set INSTANCE_ID",
                                     log_safe(*id), valid ? "it is empty" : valid.message()));
  }
  config.instance_id = *id;
  config.instance_id_from_host = false;
  return "instance_id=" + config.instance_id + " (from IMDSv2)";
}

std::string startup_probe_key(std::string_view prefix, std::string_view instance_id, std::int64_t started_at_ms) {
  return fmt::format("{}_collector/startup/{}/{}.json", prefix, instance_id, started_at_ms);
}

Status check_store_writable(ObjectStore& store, const Config& config, const Clock& clock) {
  const auto log = make_logger("app");
  // A new key at every start: no object is ever overwritten (docs/S3_LAYOUT.md), the probe included.
  const std::int64_t started_at_ms = clock.system_now_us() / 1000;
  const std::string key = startup_probe_key(config.s3_prefix, config.instance_id, started_at_ms);
  const std::string body = nlohmann::json{{"instance_id", config.instance_id},
                                          {"collector_version", MC_VERSION},
                                          {"symbols", config.symbols},
                                          {"started_at_ms", started_at_ms}}
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
