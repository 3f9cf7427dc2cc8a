#pragma once
// `audit --export DIR`: the deduplicated, id-ordered union of the audited range as gzip JSON lines,
// one file per symbol and UTC minute of the trade time (docs/AUDIT.md, "Export").
//
// The exporter is fed the lines of every part the deep audit verified, with where each trade is in
// them (read by the deep audit's own pass, so the export holds exactly the ids it counts), keeps one line per trade id
// (a live line before a "src":"rest" one, then the earliest recv_us, then the first seen) for the
// symbol at hand, and writes that symbol's minute files when the next symbol starts. finish() writes
// the last symbol's files and then _export.json, so a DIR without _export.json is an unfinished export.
// A symbol's minute files are built, compressed and written on the audit's --jobs threads; the
// files and _export.json are the same for any number of threads.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit.hpp"
#include "audit/audit_report.hpp"
#include "audit/audit_scan.hpp"
#include "common/status.hpp"

namespace mc {

// What one held line costs beyond its bytes (map node, bookkeeping), for the memory guard.
inline constexpr std::uint64_t kExportLineOverheadBytes = 128;
// Memory the lines of one symbol's range may take (bytes + overhead per line) before the export
// gives up on the range: a day of a busy symbol is a few GiB at most.
inline constexpr std::uint64_t kDefaultExportMemoryLimit = std::uint64_t{8} << 30;

inline constexpr std::string_view kExportManifestName = "_export.json";

// One minute file written.
struct ExportedFile {
  std::string path;  // relative to DIR: "symbol=BTCUSDT/dt=2026-11-25/05/00.jsonl.gz"
  std::string symbol;
  std::int64_t minute_ms = 0;
  std::uint64_t lines = 0;
  std::int64_t first_id = 0;
  std::int64_t last_id = 0;
  std::uint64_t bytes = 0;  // of the gzip file
  std::string sha256;       // hex, of the gzip file
};

class AuditExporter final : public VerifiedPartSink {
 public:
  // Creates dir (and its parents) when missing. kFatal when dir exists and is not an empty
  // directory (an earlier export is never mixed with a new one), or cannot be created.
  static Result<AuditExporter> open(const std::filesystem::path& dir,
                                    std::uint64_t memory_limit = kDefaultExportMemoryLimit);

  void start(const AuditRequest& request) override { jobs_ = request.jobs; }
  void add_part(const AuditedPart& part, const DeepCheck& check) override;

  // Writes the last symbol's files, then _export.json (the report's range, findings, per-symbol
  // union and missing ranges, and every file). The first error of the whole export, if any; after
  // an error _export.json is not written.
  Status finish(const AuditReport& report);

  const std::vector<ExportedFile>& files() const { return files_; }

 private:
  struct HeldLine {
    std::string bytes;  // as stored, without the newline
    std::int64_t minute_ms = 0;
    std::int64_t recv_us = 0;
    bool rest = false;  // "src":"rest": recovered over REST
  };
  struct SymbolTally {
    std::uint64_t lines_written = 0;
    std::uint64_t lines_skipped = 0;  // without data.t, or without data.T and data.E
  };

  AuditExporter(std::filesystem::path dir, std::uint64_t memory_limit) : dir_(std::move(dir)), limit_(memory_limit) {}

  // Keeps line for id unless the line held for it is preferred; symbol names the guard's error.
  void hold(std::string_view symbol, std::int64_t id, HeldLine line);
  using MinuteLines = std::vector<std::pair<std::int64_t, const HeldLine*>>;  // by id

  // Writes the held symbol's minute files and forgets its lines.
  Status flush();
  // Writes one minute file; thread-safe (it touches only its own file).
  Result<ExportedFile> write_minute(std::int64_t minute_ms, const MinuteLines& lines) const;
  Status write_manifest(const AuditReport& report) const;

  std::filesystem::path dir_;
  std::uint64_t limit_;
  unsigned jobs_ = 1;  // the audit's, from start()
  std::optional<std::string> symbol_;  // the symbol whose lines are held
  std::map<std::int64_t, HeldLine> held_;  // by trade id
  std::uint64_t held_bytes_ = 0;
  std::map<std::string, SymbolTally> tallies_;  // symbols already seen, flushed or held
  std::vector<ExportedFile> files_;
  Status error_;
};

}  // namespace mc
