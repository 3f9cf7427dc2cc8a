#pragma once
// HMAC-SHA256 through OpenSSL: the primitive SigV4 chains to derive its signing key and sign.

#include <string>
#include <string_view>

#include "common/status.hpp"

namespace mc {

// The raw 32-byte MAC of message under key. Fails (kFatal) only when OpenSSL cannot compute it.
Result<std::string> hmac_sha256(std::string_view key, std::string_view message);

}  // namespace mc
