#pragma once
// An HttpClient that answers from a script, in order, and records what it was sent. Where a real server
// would add nothing (IMDS, STS and container endpoint answers), tests script the exchange and then
// assert on the recorded requests: method, URL, headers, body.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "aws/aws_env.hpp"
#include "net/http_client.hpp"

namespace mc::testing {

struct RecordedRequest {
  std::string method;
  std::string url;
  std::vector<HttpHeader> headers;
  std::string body;
  std::chrono::milliseconds timeout{0};

  std::optional<std::string> header(std::string_view name) const {
    for (const HttpHeader& header : headers) {
      if (std::equal(header.name.begin(), header.name.end(), name.begin(), name.end(),
                     [](unsigned char a, unsigned char b) { return std::tolower(a) == std::tolower(b); })) {
        return header.value;
      }
    }
    return std::nullopt;
  }
};

inline HttpResponse http_response(long status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

// Shared by the test and the clients it hands out; safe to use from the refresh thread and the test.
class HttpScript : public std::enable_shared_from_this<HttpScript> {
 public:
  // The next request must be `method url`; it gets `answer`.
  void expect(std::string method, std::string url, Result<HttpResponse> answer) {
    std::lock_guard lock(mutex_);
    steps_.push_back(Step{std::move(method), std::move(url), std::move(answer)});
  }

  std::unique_ptr<HttpClient> client() { return std::make_unique<Client>(shared_from_this()); }

  std::vector<RecordedRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::size_t remaining() const {
    std::lock_guard lock(mutex_);
    return steps_.size();
  }

 private:
  struct Step {
    std::string method;
    std::string url;
    Result<HttpResponse> answer;
  };

  class Client final : public HttpClient {
   public:
    explicit Client(std::shared_ptr<HttpScript> script) : script_(std::move(script)) {}
    Result<HttpResponse> send(const HttpRequest& request) override { return script_->answer(request); }

   private:
    std::shared_ptr<HttpScript> script_;
  };

  Result<HttpResponse> answer(const HttpRequest& request) {
    std::lock_guard lock(mutex_);
    requests_.push_back(RecordedRequest{request.method, request.url, request.headers, std::string(request.body),
                                        request.timeout});
    if (steps_.empty()) {
      ADD_FAILURE() << "unscripted request " << request.method << " " << request.url;
      return Status::fatal("unscripted request");
    }
    Step step = std::move(steps_.front());
    steps_.pop_front();
    if (step.method != request.method || step.url != request.url) {
      ADD_FAILURE() << "expected " << step.method << " " << step.url << ", got " << request.method << " "
                    << request.url;
      return Status::fatal("unexpected request");
    }
    return std::move(step.answer);
  }

  mutable std::mutex mutex_;
  std::deque<Step> steps_;
  std::vector<RecordedRequest> requests_;
};

// An environment made of a map, so tests never see the real one.
inline EnvLookup fake_env(std::map<std::string, std::string> variables) {
  return [variables = std::move(variables)](std::string_view name) -> std::optional<std::string> {
    const auto it = variables.find(std::string(name));
    if (it == variables.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace mc::testing
