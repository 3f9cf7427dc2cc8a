#pragma once
// The store the audit reads: LOCAL_STORE_DIR, or the bucket when RAW_BUCKET is set (with the reader's
// credentials from the same AWS chain the collector uses).

#include <memory>

#include "app/object_store_setup.hpp"
#include "audit/store_reader.hpp"

namespace mc {

struct AuditStoreSetup {
  AwsAccess aws;  // S3 only
  std::unique_ptr<StoreReader> reader;
};

// kFatal naming the key to fix (the region, a malformed endpoint).
Result<AuditStoreSetup> make_audit_store(const Config& config, const EnvLookup& env, const Clock& clock);

}  // namespace mc
