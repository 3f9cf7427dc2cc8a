#pragma once
// SHA-256 through OpenSSL's EVP interface, as lower-case hex (the manifest's "sha256").

#include <memory>
#include <string>
#include <string_view>

#include "common/status.hpp"

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace mc {

// Incremental hashing, for input that arrives in pieces. Move-only: it owns the EVP_MD_CTX.
class Sha256 {
 public:
  static Result<Sha256> create();

  Status update(std::string_view bytes);
  // Ends the hash; the object must not be updated afterwards.
  Result<std::string> finish_hex();

 private:
  struct CtxDeleter {
    void operator()(evp_md_ctx_st* ctx) const;
  };
  explicit Sha256(std::unique_ptr<evp_md_ctx_st, CtxDeleter> ctx) : ctx_(std::move(ctx)) {}

  std::unique_ptr<evp_md_ctx_st, CtxDeleter> ctx_;
};

// The hex SHA-256 of bytes; fails only when OpenSSL cannot allocate or has no SHA-256.
Result<std::string> sha256_hex(std::string_view bytes);

}  // namespace mc
