#include "store/s3_address.hpp"

#include "aws/sigv4.hpp"

namespace mc {

namespace {

struct Endpoint {
  std::string scheme;
  std::string host;  // with ":port" unless it is the scheme's default
};

Result<Endpoint> parse_endpoint(std::string_view endpoint) {
  Endpoint out;
  std::string_view rest;
  if (endpoint.starts_with("https://")) {
    out.scheme = "https";
    rest = endpoint.substr(8);
  } else if (endpoint.starts_with("http://")) {
    out.scheme = "http";
    rest = endpoint.substr(7);
  } else {
    return Status::fatal("S3_ENDPOINT must start with http:// or https://: " + std::string(endpoint));
  }
  while (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.empty() || rest.find_first_of("/?#@") != std::string_view::npos) {
    return Status::fatal("S3_ENDPOINT must be scheme://host[:port] without a path: " + std::string(endpoint));
  }
  const std::string_view default_port = out.scheme == "https" ? ":443" : ":80";
  if (rest.ends_with(default_port)) rest.remove_suffix(default_port.size());
  out.host = std::string(rest);
  return out;
}

}  // namespace

Result<S3ObjectAddress> address_object(const S3Location& location, std::string_view key) {
  S3ObjectAddress address;
  std::string scheme = "https";
  const bool path_style =
      !location.endpoint.empty() || location.force_path_style || location.bucket.find('.') != std::string::npos;
  if (!location.endpoint.empty()) {
    Result<Endpoint> endpoint = parse_endpoint(location.endpoint);
    if (!endpoint) return endpoint.status();
    scheme = endpoint->scheme;
    address.host = endpoint->host;
  } else if (path_style) {
    address.host = "s3." + location.region + ".amazonaws.com";
  } else {
    address.host = location.bucket + ".s3." + location.region + ".amazonaws.com";
  }
  address.canonical_uri = canonical_uri_for_s3_key(path_style ? location.bucket : "", key);
  address.url = scheme + "://" + address.host + address.canonical_uri;
  return address;
}

}  // namespace mc
