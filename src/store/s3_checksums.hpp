#pragma once
// The integrity headers of a PutObject: S3 recomputes each and refuses the object when one differs, so
// a body damaged between the spool and the bucket is never stored.

#include <string>
#include <string_view>

#include "common/status.hpp"

namespace mc {

// Content-MD5: base64 of the body's MD5.
Result<std::string> content_md5_base64(std::string_view body);

// x-amz-checksum-sha256: base64 of the binary SHA-256, from its lower-case hex form.
Result<std::string> sha256_base64_from_hex(std::string_view sha256_hex);

}  // namespace mc
