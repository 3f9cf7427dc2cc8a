#pragma once
// Where an object's PUT goes: virtual-hosted addressing on AWS ("<bucket>.s3.<region>.amazonaws.com"),
// path-style ("<endpoint>/<bucket>/<key>") when an endpoint is configured, when asked for, or when the
// bucket name has dots (a dotted name breaks the wildcard certificate of the virtual host).

#include <string>
#include <string_view>

#include "common/status.hpp"

namespace mc {

struct S3Location {
  std::string bucket;
  std::string region;
  std::string endpoint;  // "http(s)://host[:port]"; empty: AWS
  bool force_path_style = false;
};

struct S3ObjectAddress {
  std::string url;            // what the HTTP client requests
  std::string host;           // the Host header as the client sends it (port only when not the default)
  std::string canonical_uri;  // the path as signed: each key segment URI-encoded once
};

// kFatal for an endpoint that is not http(s)://host[:port] with an empty path.
Result<S3ObjectAddress> address_object(const S3Location& location, std::string_view key);

}  // namespace mc
