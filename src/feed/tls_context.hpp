#pragma once
// The client's TLS settings, shared by every wss connection of one feed: TLS 1.2 or later, the peer
// verified against the system's trust anchors plus an optional CA file.

#include <openssl/types.h>

#include <memory>
#include <string>

#include "common/status.hpp"

namespace mc {

struct SslCtxFree {
  void operator()(SSL_CTX* context) const;
};
using TlsContext = std::unique_ptr<SSL_CTX, SslCtxFree>;

// ca_file (PEM, may be empty) is trusted besides the system's anchors; a file that cannot be loaded
// is a fatal error naming it.
Result<TlsContext> make_tls_context(const std::string& ca_file);

// The first reason OpenSSL gives for the errors on this thread's queue ("no such file"; a system
// error's own entry has none), and the queue cleared for the next call.
std::string openssl_reason();

}  // namespace mc
