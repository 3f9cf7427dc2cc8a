#include "test_certs.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <random>

namespace mc::testing {
namespace {

struct OpenSslFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
  void operator()(X509* cert) const { X509_free(cert); }
  void operator()(X509_EXTENSION* ext) const { X509_EXTENSION_free(ext); }
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, OpenSslFree>;
using CertPtr = std::unique_ptr<X509, OpenSslFree>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, OpenSslFree>;
using BioPtr = std::unique_ptr<BIO, OpenSslFree>;

constexpr long kValiditySeconds = 24L * 3600L;
constexpr long kBackdateSeconds = 3600L;

// Serials only need to differ between the certificates one CA issues.
long random_serial() {
  std::random_device rd;
  return static_cast<long>(rd() & 0x7fffffffU);
}

Status openssl_error(std::string_view what) {
  std::string text(256, '\0');
  ERR_error_string_n(ERR_get_error(), text.data(), text.size());
  text.resize(text.find('\0'));
  return Status::fatal(std::string(what) + ": " + text);
}

Status add_ext(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  const ExtPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
  if (!ext) return openssl_error("X509V3_EXT_conf_nid " + value);
  if (X509_add_ext(cert, ext.get(), -1) != 1) return openssl_error("X509_add_ext");
  return Status::ok();
}

Result<KeyPtr> read_key(const std::filesystem::path& path) {
  const BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) return openssl_error("BIO_new_file " + path.string());
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return openssl_error("PEM_read_bio_PrivateKey");
  return key;
}

Result<CertPtr> read_cert(const std::filesystem::path& path) {
  const BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) return openssl_error("BIO_new_file " + path.string());
  CertPtr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return openssl_error("PEM_read_bio_X509");
  return cert;
}

Result<KeyPairFiles> write_pair(const std::filesystem::path& dir, const std::string& name, X509* cert,
                                EVP_PKEY* key) {
  KeyPairFiles files{dir / (name + ".crt"), dir / (name + ".key")};
  const BioPtr cert_bio(BIO_new_file(files.cert.c_str(), "w"));
  if (!cert_bio || PEM_write_bio_X509(cert_bio.get(), cert) != 1) return openssl_error("writing " + files.cert.string());
  const BioPtr key_bio(BIO_new_file(files.key.c_str(), "w"));
  if (!key_bio || PEM_write_bio_PrivateKey(key_bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return openssl_error("writing " + files.key.string());
  }
  return files;
}

// issuer/issuer_key null: self-signed.
Result<KeyPairFiles> make_cert(const std::filesystem::path& dir, const std::string& name, X509* issuer,
                               EVP_PKEY* issuer_key, const std::string& alt_names) {
  const KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return openssl_error("EVP_EC_gen");
  const CertPtr cert(X509_new());
  if (!cert) return openssl_error("X509_new");
  const bool is_ca = issuer == nullptr;
  if (X509_set_version(cert.get(), 2) != 1 || ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), random_serial()) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kBackdateSeconds) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValiditySeconds) == nullptr ||
      X509_set_pubkey(cert.get(), key.get()) != 1) {
    return openssl_error("filling the certificate");
  }
  X509_NAME* subject = X509_get_subject_name(cert.get());
  const std::string common_name = "mc-test " + name;
  if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()),
                                 -1, -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(), is_ca ? subject : X509_get_subject_name(issuer)) != 1) {
    return openssl_error("setting names");
  }
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, is_ca ? cert.get() : issuer, cert.get(), nullptr, nullptr, 0);
  if (Status s = add_ext(cert.get(), &ctx, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE"); !s) {
    return s;
  }
  if (Status s = add_ext(cert.get(), &ctx, NID_key_usage,
                         is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
      !s) {
    return s;
  }
  if (Status s = add_ext(cert.get(), &ctx, NID_subject_key_identifier, "hash"); !s) return s;
  if (Status s = add_ext(cert.get(), &ctx, NID_authority_key_identifier, "keyid"); !s) return s;
  if (!is_ca) {
    if (Status s = add_ext(cert.get(), &ctx, NID_ext_key_usage, "serverAuth"); !s) return s;
    if (Status s = add_ext(cert.get(), &ctx, NID_subject_alt_name, alt_names); !s) return s;
  }
  if (X509_sign(cert.get(), is_ca ? key.get() : issuer_key, EVP_sha256()) <= 0) return openssl_error("X509_sign");
  return write_pair(dir, name, cert.get(), key.get());
}

}  // namespace

Result<KeyPairFiles> make_test_ca(const std::filesystem::path& dir, const std::string& name) {
  return make_cert(dir, name, nullptr, nullptr, "");
}

Result<KeyPairFiles> make_test_server_cert(const std::filesystem::path& dir, const std::string& name,
                                           const KeyPairFiles& ca, const std::string& alt_names) {
  Result<CertPtr> ca_cert = read_cert(ca.cert);
  if (!ca_cert) return ca_cert.status();
  Result<KeyPtr> ca_key = read_key(ca.key);
  if (!ca_key) return ca_key.status();
  return make_cert(dir, name, ca_cert->get(), ca_key->get(), alt_names);
}

}  // namespace mc::testing
