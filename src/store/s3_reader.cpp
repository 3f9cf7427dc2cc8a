#include "store/s3_reader.hpp"

#include <charconv>
#include <optional>
#include <string_view>
#include <utility>

#include "net/xml_text.hpp"
#include "net/http_date.hpp"

namespace mc {

namespace {

Result<ObjectEntry> parse_contents(std::string_view contents) {
  ObjectEntry entry;
  std::optional<std::string> key = xml_element_text(contents, "Key");
  std::optional<std::string> size = xml_element_text(contents, "Size");
  if (!key || key->empty() || !size) return Status::retryable("listing entry without Key or Size");
  entry.key = std::move(*key);
  const std::string_view digits = *size;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), entry.size);
  if (error != std::errc() || end != digits.data() + digits.size()) {
    return Status::retryable("listing entry " + entry.key + " has an unreadable Size: " + *size);
  }
  std::string etag = xml_element_text(contents, "ETag").value_or("");
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  entry.etag = std::move(etag);
  if (const auto modified = parse_iso8601_utc(xml_element_text(contents, "LastModified").value_or(""))) {
    entry.last_modified = *modified;
  }
  return entry;
}

}  // namespace

S3Reader::S3Reader(S3ReaderOptions options, CredentialsSource& credentials, const HttpClientFactory& make_client,
                   const Clock& clock)
    : options_(std::move(options)),
      client_(make_client()),
      signer_(options_.location.region, options_.location.bucket, options_.key_prefix, credentials, clock) {}

S3Reader::~S3Reader() = default;

std::string S3Reader::describe() const {
  std::string out = "s3://" + options_.location.bucket + " (region " + options_.location.region;
  if (!options_.location.endpoint.empty()) out += ", endpoint " + options_.location.endpoint;
  return out + ")";
}

Result<HttpResponse> S3Reader::exchange(S3Call call, const std::string& context) {
  call.payload_sha256_hex = std::string(kEmptyPayloadSha256);
  call.timeout = options_.request_timeout;
  Result<S3Answer> answer = signer_.send(*client_, call, context);
  if (!answer) return answer.status();
  const std::string what = context + ": " + describe_s3_answer(*answer);
  switch (answer->verdict.action) {
    case S3Action::kStored:
      return std::move(answer->response);
    case S3Action::kOperatorFix:
      return Status::fatal(what + "; fix: " + answer->verdict.fix);
    case S3Action::kResign:
    case S3Action::kRefreshCredentials:
    case S3Action::kRetry:
    case S3Action::kKeyTaken:  // reads carry no condition: S3 does not answer 412 to them
      return Status::retryable(what);
  }
  return Status::retryable(what);
}

Status S3Reader::for_each_page(std::string_view prefix, bool folders, const std::string& context,
                               const std::function<Status(std::string_view body)>& on_page) {
  // The bucket itself: "/<bucket>" path-style, "/" virtual-hosted.
  Result<S3ObjectAddress> address = address_object(options_.location, "");
  if (!address) return address.status().with_context(context);

  std::string token;
  while (true) {
    S3Call call{.method = "GET", .address = *address};
    if (folders) call.query.emplace_back("delimiter", "/");
    call.query.emplace_back("list-type", "2");
    if (!prefix.empty()) call.query.emplace_back("prefix", std::string(prefix));
    if (!token.empty()) call.query.emplace_back("continuation-token", token);
    Result<HttpResponse> response = exchange(std::move(call), context);
    if (!response) return response.status();

    const std::string_view body = response->body;
    if (body.find("<ListBucketResult") == std::string_view::npos) {
      return Status::retryable(context + ": the answer is not a ListBucketResult");
    }
    if (Status page = on_page(body); !page) return page;
    if (xml_element_text(body, "IsTruncated").value_or("false") != "true") return Status::ok();
    std::string next = xml_element_text(body, "NextContinuationToken").value_or("");
    // A server that hands back the token it was given would keep us here for ever.
    if (next.empty() || next == token) {
      return Status::retryable(context + ": a truncated listing without a new NextContinuationToken");
    }
    token = std::move(next);
  }
}

Result<std::vector<ObjectEntry>> S3Reader::list(std::string_view prefix) {
  const std::string context = "s3 list " + std::string(prefix);
  std::vector<ObjectEntry> entries;
  const Status listed = for_each_page(prefix, /*folders=*/false, context, [&](std::string_view body) {
    for (std::string_view contents : xml_elements(body, "Contents")) {
      Result<ObjectEntry> entry = parse_contents(contents);
      if (!entry) return entry.status().with_context(context);
      entries.push_back(std::move(*entry));
    }
    return Status::ok();
  });
  if (!listed) return listed;
  return entries;
}

Result<std::vector<std::string>> S3Reader::list_folders(std::string_view prefix) {
  const std::string context = "s3 list folders " + std::string(prefix);
  std::vector<std::string> folders;
  const Status listed = for_each_page(prefix, /*folders=*/true, context, [&](std::string_view body) {
    for (std::string_view common : xml_elements(body, "CommonPrefixes")) {
      std::optional<std::string> folder = xml_element_text(common, "Prefix");
      if (!folder || !folder->starts_with(prefix) || !folder->ends_with('/')) {
        return Status::retryable(context + ": a CommonPrefixes entry without a Prefix below the one asked");
      }
      folders.push_back(std::move(*folder));
    }
    return Status::ok();
  });
  if (!listed) return listed;
  return folders;
}

Result<std::string> S3Reader::get(std::string_view key) {
  const std::string context = "s3 get " + std::string(key);
  if (key.empty()) return Status::fatal(context + ": empty object key");
  Result<S3ObjectAddress> address = address_object(options_.location, key);
  if (!address) return address.status().with_context(context);
  Result<HttpResponse> response = exchange(S3Call{.method = "GET", .address = std::move(*address)}, context);
  if (!response) return response.status();
  return std::move(response->body);
}

}  // namespace mc
