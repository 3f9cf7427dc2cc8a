#include "feed/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <filesystem>

namespace mc {
namespace {

// True when dir holds OpenSSL's hash links ("<hash>.0"), which it can read one issuer at a time.
bool is_hashed_cert_dir(const char* dir) {
  std::error_code error;
  for (auto it = std::filesystem::directory_iterator(dir, error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    if (it->path().extension() == ".0") return true;
  }
  return false;
}

// The system's trust anchors. OpenSSL's default paths load the whole bundle file (~140 certificates:
// about 100 ms of start-up here, before the first frame); the hashed directory of the same
// certificates is read lazily, the issuer a handshake needs. The default paths stay in use when the
// environment names a file or directory (SSL_CERT_FILE, SSL_CERT_DIR) or there is no hashed directory.
Status load_system_trust(SSL_CTX* context) {
  const char* dir = X509_get_default_cert_dir();
  // getenv from several feed threads is safe: nothing in the process calls setenv.
  const bool environment_chooses =
      std::getenv(X509_get_default_cert_file_env()) != nullptr ||  // NOLINT(concurrency-mt-unsafe)
      std::getenv(X509_get_default_cert_dir_env()) != nullptr;     // NOLINT(concurrency-mt-unsafe)
  if (!environment_chooses && is_hashed_cert_dir(dir)) {
    if (SSL_CTX_load_verify_dir(context, dir) == 1) return Status::ok();
  }
  if (SSL_CTX_set_default_verify_paths(context) != 1) {
    return Status::retryable("tls: set_default_verify_paths: " + openssl_reason());
  }
  return Status::ok();
}

}  // namespace

std::string openssl_reason() {
  const char* reason = nullptr;
  for (unsigned long code = ERR_get_error(); code != 0 && reason == nullptr; code = ERR_get_error()) {
    reason = ERR_reason_error_string(code);
  }
  ERR_clear_error();
  return reason != nullptr ? reason : "unknown error";
}


void SslCtxFree::operator()(SSL_CTX* context) const { SSL_CTX_free(context); }

Result<TlsContext> make_tls_context(const std::string& ca_file) {
  ERR_clear_error();  // what another caller left must not become this one's reason
  TlsContext context(SSL_CTX_new(TLS_client_method()));
  if (!context) return Status::retryable("tls: cannot make a context: " + openssl_reason());
  if (SSL_CTX_set_min_proto_version(context.get(), TLS1_2_VERSION) != 1) {
    return Status::fatal("tls: cannot require TLS 1.2");
  }
  SSL_CTX_set_verify(context.get(), SSL_VERIFY_PEER, nullptr);
  if (Status trusted = load_system_trust(context.get()); !trusted) return trusted;
  if (!ca_file.empty() && SSL_CTX_load_verify_file(context.get(), ca_file.c_str()) != 1) {
    return Status::fatal("tls: cannot load ca_file=" + ca_file + ": " + openssl_reason());
  }
  return Result<TlsContext>(std::move(context));
}

}  // namespace mc
