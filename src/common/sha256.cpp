#include "common/sha256.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <array>

namespace mc {
namespace {

Status openssl_error(std::string_view what) {
  std::array<char, 256> text{};
  ERR_error_string_n(ERR_get_error(), text.data(), text.size());
  return Status::fatal(std::string(what) + ": " + text.data());
}

std::string to_hex(const unsigned char* bytes, unsigned int size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(std::size_t{2} * size);
  for (unsigned int i = 0; i < size; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 0x0f];
  }
  return out;
}

}  // namespace

void Sha256::CtxDeleter::operator()(evp_md_ctx_st* ctx) const { EVP_MD_CTX_free(ctx); }

Result<Sha256> Sha256::create() {
  std::unique_ptr<evp_md_ctx_st, CtxDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx) return openssl_error("EVP_MD_CTX_new");
  if (EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return openssl_error("EVP_DigestInit_ex");
  return Sha256(std::move(ctx));
}

Status Sha256::update(std::string_view bytes) {
  if (EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()) != 1) return openssl_error("EVP_DigestUpdate");
  return Status::ok();
}

Result<std::string> Sha256::finish_hex() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), digest.data(), &size) != 1) return openssl_error("EVP_DigestFinal_ex");
  return to_hex(digest.data(), size);
}

Result<std::string> sha256_hex(std::string_view bytes) {
  Result<Sha256> hasher = Sha256::create();
  if (!hasher) return hasher.status();
  if (Status updated = hasher->update(bytes); !updated) return updated;
  return hasher->finish_hex();
}

}  // namespace mc
