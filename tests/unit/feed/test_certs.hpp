#pragma once
// Certificates for the TLS tests, made with the OpenSSL API so the tests need no openssl binary.

#include <filesystem>
#include <string>

#include "common/status.hpp"

namespace mc::testing {

struct KeyPairFiles {
  std::filesystem::path cert;  // PEM
  std::filesystem::path key;   // PEM, unencrypted
};

// A self-signed CA written to dir/<name>.crt and dir/<name>.key.
Result<KeyPairFiles> make_test_ca(const std::filesystem::path& dir, const std::string& name);

// A server certificate signed by `ca`, with subjectAltName `alt_names` in OpenSSL's syntax
// ("DNS:localhost,IP:127.0.0.1"), written to dir/<name>.crt and dir/<name>.key.
Result<KeyPairFiles> make_test_server_cert(const std::filesystem::path& dir, const std::string& name,
                                           const KeyPairFiles& ca, const std::string& alt_names);

}  // namespace mc::testing
