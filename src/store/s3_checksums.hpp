#pragma once
// The integrity header of a PutObject besides the signed payload hash: S3 recomputes it and refuses
// the object when it differs, so a body damaged between the spool and the bucket is never stored.

#include <string>
#include <string_view>

#include "common/status.hpp"

namespace mc {

// x-amz-checksum-sha256: base64 of the binary SHA-256, from its lower-case hex form.
Result<std::string> sha256_base64_from_hex(std::string_view sha256_hex);

}  // namespace mc
