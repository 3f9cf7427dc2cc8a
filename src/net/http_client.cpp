#include "net/http_client.hpp"

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <new>
#include <stdexcept>
#include <utility>

namespace mc {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

// The one place that decides what a libcurl failure means for the caller.
ErrorKind transport_error_kind(CURLcode code) {
  switch (code) {
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_OUT_OF_MEMORY:
      return ErrorKind::kFatal;
    default:
      return ErrorKind::kRetryable;
  }
}

struct CurlDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlList = std::unique_ptr<curl_slist, SlistDeleter>;

// Builds a header list, checking each append (curl_slist_append returns null on allocation failure and
// leaves the old list alone).
class HeaderList {
 public:
  bool add(const std::string& line) {
    curl_slist* grown = curl_slist_append(list_.get(), line.c_str());
    if (grown == nullptr) return false;
    static_cast<void>(list_.release());
    list_.reset(grown);
    return true;
  }
  curl_slist* get() const { return list_.get(); }

 private:
  CurlList list_;
};

// What the callbacks fill in during one transfer.
struct Transfer {
  HttpResponse response;
  std::size_t max_body = 0;
  bool body_too_large = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  if (transfer->response.body.size() + bytes > transfer->max_body) {
    transfer->body_too_large = true;
    return 0;  // makes libcurl abort with CURLE_WRITE_ERROR
  }
  transfer->response.body.append(data, bytes);
  return bytes;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  std::string_view line(data, bytes);
  // A status line starts a new response (after "100 Continue" or an intermediate one): forget the
  // headers of the previous one.
  if (line.starts_with("HTTP/")) {
    transfer->response.headers.clear();
    return bytes;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return bytes;
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
  transfer->response.headers.push_back({lower(line.substr(0, colon)), std::string(value)});
  return bytes;
}

// Adds TLS_CA_FILE to the trust store libcurl already loaded from the system, instead of replacing it
// (CURLOPT_CAINFO would replace it, and a private CA must not cost us the public ones).
CURLcode add_ca_file(CURL* /*handle*/, void* ssl_ctx, void* user) {
  const auto* ca_file = static_cast<const std::string*>(user);
  X509_STORE* store = SSL_CTX_get_cert_store(static_cast<SSL_CTX*>(ssl_ctx));
  if (store == nullptr || X509_STORE_load_file(store, ca_file->c_str()) != 1) return CURLE_SSL_CACERT_BADFILE;
  return CURLE_OK;
}

std::string host_of(const std::string& url) {
  const std::size_t start = url.find("://");
  const std::size_t host_start = start == std::string::npos ? 0 : start + 3;
  const std::size_t end = url.find_first_of("/?#", host_start);
  return url.substr(host_start, end == std::string::npos ? std::string::npos : end - host_start);
}

class CurlHttpClient final : public HttpClient {
 public:
  CurlHttpClient(CurlHandle handle, HttpClientOptions options)
      : handle_(std::move(handle)), options_(std::move(options)) {}

  Result<HttpResponse> send(const HttpRequest& request) override;

 private:
  Status configure(const HttpRequest& request, Transfer& transfer, HeaderList& headers);

  CurlHandle handle_;
  HttpClientOptions options_;
  char error_buffer_[CURL_ERROR_SIZE] = {};
};

// Collects the first failing curl_easy_setopt, so configure() reads as a list of settings.
class OptionSetter {
 public:
  explicit OptionSetter(CURL* handle) : handle_(handle) {}
  template <typename T>
  OptionSetter& set(CURLoption option, T value) {
    if (failed_ == CURLE_OK) {
      const CURLcode code = curl_easy_setopt(handle_, option, value);
      if (code != CURLE_OK) {
        failed_ = code;
        failed_option_ = option;
      }
    }
    return *this;
  }
  Status status() const {
    if (failed_ == CURLE_OK) return Status::ok();
    return Status::fatal("http: curl_easy_setopt(" + std::to_string(failed_option_) +
                         ") failed: " + curl_easy_strerror(failed_));
  }

 private:
  CURL* handle_;
  CURLcode failed_ = CURLE_OK;
  int failed_option_ = 0;
};

Status CurlHttpClient::configure(const HttpRequest& request, Transfer& transfer, HeaderList& headers) {
  CURL* handle = handle_.get();
  // Reset forgets the previous request's options but keeps the connection cache, so the next request
  // to the same host reuses the open connection.
  curl_easy_reset(handle);
  error_buffer_[0] = '\0';

  bool has_content_type = false;
  for (const HttpHeader& header : request.headers) {
    has_content_type = has_content_type || iequals(header.name, "content-type");
    if (!headers.add(header.name + ": " + header.value)) return Status::fatal("http: out of memory for headers");
  }
  // No "Expect: 100-continue" round trip before a body (it stalls a PUT for a second on servers that
  // do not answer it), and no form content type libcurl would otherwise invent for a body.
  if (!headers.add("Expect:")) return Status::fatal("http: out of memory for headers");
  if (!has_content_type && !headers.add("Content-Type:")) return Status::fatal("http: out of memory for headers");

  const long timeout_ms = static_cast<long>(request.timeout.count());
  const long connect_ms = static_cast<long>(std::min(options_.connect_timeout, request.timeout).count());
  OptionSetter setter(handle);
  setter.set(CURLOPT_ERRORBUFFER, error_buffer_)
      .set(CURLOPT_URL, request.url.c_str())
      .set(CURLOPT_PROTOCOLS_STR, "http,https")
      .set(CURLOPT_NOSIGNAL, 1L)
      .set(CURLOPT_TIMEOUT_MS, timeout_ms)
      .set(CURLOPT_CONNECTTIMEOUT_MS, connect_ms)
      .set(CURLOPT_LOW_SPEED_LIMIT, options_.low_speed_bytes)
      .set(CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.low_speed_time.count()))
      .set(CURLOPT_TCP_KEEPALIVE, 1L)
      .set(CURLOPT_SSL_VERIFYPEER, 1L)
      .set(CURLOPT_SSL_VERIFYHOST, 2L)
      .set(CURLOPT_FOLLOWLOCATION, 0L)
      .set(CURLOPT_HTTPHEADER, headers.get())
      .set(CURLOPT_WRITEFUNCTION, &on_body)
      .set(CURLOPT_WRITEDATA, &transfer)
      .set(CURLOPT_HEADERFUNCTION, &on_header)
      .set(CURLOPT_HEADERDATA, &transfer);
  if (options_.bypass_proxy) setter.set(CURLOPT_NOPROXY, "*");
  if (!options_.ca_file.empty()) {
    setter.set(CURLOPT_SSL_CTX_FUNCTION, &add_ca_file).set(CURLOPT_SSL_CTX_DATA, &options_.ca_file);
  }
  if (request.method == "GET") {
    setter.set(CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    setter.set(CURLOPT_NOBODY, 1L);
  } else {
    // The body is sent from the caller's memory, not copied.
    setter.set(CURLOPT_POSTFIELDS, request.body.data())
        .set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()))
        .set(CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  return setter.status();
}

Result<HttpResponse> CurlHttpClient::send(const HttpRequest& request) {
  if ((request.method == "GET" || request.method == "HEAD") && !request.body.empty()) {
    return Status::fatal("http: " + request.method + " with a body is not supported");
  }
  Transfer transfer;
  transfer.max_body = options_.max_response_bytes;
  HeaderList headers;
  if (Status configured = configure(request, transfer, headers); !configured) return configured;

  const CURLcode code = curl_easy_perform(handle_.get());
  if (code != CURLE_OK) {
    std::string message = "http: " + request.method + " " + host_of(request.url) + ": ";
    if (transfer.body_too_large) {
      message += "response body over " + std::to_string(options_.max_response_bytes) + " bytes";
      return Status::retryable(std::move(message));
    }
    message += "curl error " + std::to_string(static_cast<int>(code)) + " (" + curl_easy_strerror(code) + ")";
    if (error_buffer_[0] != '\0') message += ": " + std::string(error_buffer_);
    if (transport_error_kind(code) == ErrorKind::kFatal) return Status::fatal(std::move(message));
    return Status::retryable(std::move(message));
  }
  long status = 0;
  if (curl_easy_getinfo(handle_.get(), CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) {
    return Status::retryable("http: " + request.method + " " + host_of(request.url) + ": no response code");
  }
  transfer.response.status = status;
  return std::move(transfer.response);
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const HttpHeader& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return std::nullopt;
}

HttpRuntime::HttpRuntime() {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::runtime_error("libcurl global init failed");
}

HttpRuntime::~HttpRuntime() { curl_global_cleanup(); }

std::unique_ptr<HttpClient> make_http_client(const HttpClientOptions& options) {
  CurlHandle handle(curl_easy_init());
  if (!handle) throw std::bad_alloc();  // curl_easy_init fails only when memory is exhausted
  return std::make_unique<CurlHttpClient>(std::move(handle), options);
}

}  // namespace mc
