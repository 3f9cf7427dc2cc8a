// The CPU an S3 PutObject costs the collector besides the network: signing, and the integrity headers
// (the one SHA-256 of a typical 2 MiB part's gzip object, checked against the manifest and sent as
// x-amz-content-sha256 and, in base64, x-amz-checksum-sha256).
#include <benchmark/benchmark.h>

#include <chrono>

#include "aws/sigv4.hpp"
#include "bench/trade_lines.hpp"
#include "common/gzip.hpp"
#include "common/sha256.hpp"
#include "store/s3_checksums.hpp"

namespace {

const std::string& gz_part() {
  static const std::string content = *mc::gzip_compress(mc::bench::trade_part(2U << 20U), 6);
  return content;
}

void BM_SignPutObject(benchmark::State& state) {
  const mc::AwsCredentials credentials{.access_key_id = "AKIAIOSFODNN7EXAMPLE",
                                       .secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                       .session_token = std::string(600, 't')};
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'795'584'070));
  const mc::SigningScope scope{.date = mc::amz_date(now).substr(0, 8), .region = "us-east-1", .service = "s3"};
  const mc::SignableRequest request{
      .method = "PUT",
      .canonical_uri = mc::canonical_uri_for_s3_key(
          "", "raw/exchange=binance/stream=trade/symbol=BTCUSDT/dt=2026-11-25/05/21/part-i-0abc-1795584070000.jsonl.gz"),
      .query = {},
      .headers = {{"host", "bkt.s3.us-east-1.amazonaws.com"},
                  {"content-type", "application/gzip"},
                  {"if-none-match", "*"},
                  {"x-amz-checksum-sha256", "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="},
                  {"x-amz-sdk-checksum-algorithm", "SHA256"},
                  {"x-amz-server-side-encryption", "AES256"}},
      .payload_sha256_hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"};
  for (auto _ : state) benchmark::DoNotOptimize(mc::sign(request, credentials, scope, now));
}
BENCHMARK(BM_SignPutObject);

void BM_PutIntegrityHeaders(benchmark::State& state) {
  for (auto _ : state) {
    const mc::Result<std::string> sha = mc::sha256_hex(gz_part());
    benchmark::DoNotOptimize(mc::sha256_base64_from_hex(*sha));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * gz_part().size()));
}
BENCHMARK(BM_PutIntegrityHeaders)->Unit(benchmark::kMicrosecond);

}  // namespace
