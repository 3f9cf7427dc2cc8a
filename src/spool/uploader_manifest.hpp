#pragma once
// What the uploader reads from a sealed part's manifest: the key and the SHA-256 it vouches for, and
// the same manifest under another key when the part has to move (uploader_rekey.hpp). Any other member,
// including ones this reader does not know, is left as it is.

#include <string>
#include <string_view>

#include "common/status.hpp"

namespace mc {

struct VouchedPayload {
  std::string s3_key;  // payload.s3_key
  std::string sha256;  // payload.sha256: lower-case hex SHA-256 of the gzip part
};

// kCorrupt, naming what is wrong, when the manifest is not JSON or lacks either string.
Result<VouchedPayload> read_vouched_payload(std::string_view manifest);

// The manifest with payload.s3_key set to new_key and every other byte unchanged. kCorrupt when the
// manifest does not name its key exactly once as "s3_key":"<key>" (this collector's manifests do).
Result<std::string> manifest_with_s3_key(std::string_view manifest, std::string_view new_key);

}  // namespace mc
