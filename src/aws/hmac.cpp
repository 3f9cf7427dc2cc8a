#include "aws/hmac.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <limits>

namespace mc {

Result<std::string> hmac_sha256(std::string_view key, std::string_view message) {
  if (key.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    return Status::fatal("HMAC-SHA256: key too long");
  }
  // An empty string_view may carry a null pointer, which OpenSSL reads as "no key".
  static constexpr std::array<unsigned char, 1> kNoBytes{};
  const auto* key_bytes = key.empty() ? kNoBytes.data() : reinterpret_cast<const unsigned char*>(key.data());
  const auto* message_bytes =
      message.empty() ? kNoBytes.data() : reinterpret_cast<const unsigned char*>(message.data());

  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), key_bytes, static_cast<int>(key.size()), message_bytes, message.size(), mac.data(), &size) ==
      nullptr) {
    std::array<char, 256> text{};
    ERR_error_string_n(ERR_get_error(), text.data(), text.size());
    return Status::fatal(std::string("HMAC-SHA256: ") + text.data());
  }
  return std::string(reinterpret_cast<const char*>(mac.data()), size);
}

}  // namespace mc
