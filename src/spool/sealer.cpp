#include "spool/sealer.hpp"

#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "common/file_util.hpp"
#include "common/gzip.hpp"
#include "common/log.hpp"
#include "common/sha256.hpp"
#include "spool/manifest.hpp"
#include "spool/part_scan.hpp"

namespace mc {
namespace {

std::optional<PartName> open_part_name(const std::filesystem::path& open_file) {
  const std::optional<std::string> key = key_from_spool_file_name(open_file.filename().string());
  if (!key) return std::nullopt;
  std::optional<PartName> name = parse_part_key(*key);
  // parse_part_key also accepts part and manifest keys; only an open key names an open file.
  if (!name || name->open_key() != *key) return std::nullopt;
  return name;
}

// What the writer counted, when it describes this very file (every line complete, none missing);
// otherwise the file's lines are parsed for it.
PartStats part_stats(std::string_view content, PartKind kind, const std::optional<PartStats>& counted) {
  if (counted && counted->bytes == content.size() && content.ends_with('\n')) {
    return *counted;
  }
  return scan_part(simdjson::padded_string(content), kind);
}

Status remove_open_file(const std::filesystem::path& open_file) {
  if (Status removed = remove_file(open_file); !removed) return removed;
  return fsync_directory(open_file.parent_path());
}

// Both files are written and synced under temporary names before either is renamed, so one fsync
// of sealed/ makes both names durable, not one fsync per rename. The part is renamed first: a
// running reader never sees a manifest without its part. After a power loss before that fsync, a
// manifest without its part can only be found next to the open file it came from (the open file is
// removed after the fsync), and recovery seals that file again.
Status write_sealed_pair(const SealedPart& sealed, std::string_view part, std::string_view manifest) {
  const std::filesystem::path part_temp = temp_path_of(sealed.part_file);
  const std::filesystem::path manifest_temp = temp_path_of(sealed.manifest_file);
  if (Status written = write_synced_file(part_temp, part); !written) return written;
  Status written = write_synced_file(manifest_temp, manifest);
  if (written) written = rename_file(part_temp, sealed.part_file);
  if (written) written = rename_file(manifest_temp, sealed.manifest_file);
  if (!written) {
    // Best effort: recovery removes temp files the next start finds; the error returned matters.
    static_cast<void>(remove_file(part_temp));
    static_cast<void>(remove_file(manifest_temp));
    return written;
  }
  return fsync_directory(sealed.part_file.parent_path());
}

// The numbers of a pair sealed from this open file before (a crash after the pair was durable and
// before the open file went): sealing it again must not number the same part twice.
std::optional<PartNumber> number_sealed_before(const SealedPart& sealed) {
  const Result<std::string> text = read_file(sealed.manifest_file);  // missing but after a crash
  if (!text) return std::nullopt;
  return part_number_of_manifest(*text);
}

}  // namespace

Sealer::Sealer(SpoolLayout layout, int gzip_level, const Clock& clock, PartSequence* sequence)
    : layout_(std::move(layout)), gzip_level_(gzip_level), clock_(clock), sequence_(sequence) {}

Result<std::optional<SealedPart>> Sealer::seal(const std::filesystem::path& open_file, const PartNotes& notes,
                                               const std::optional<PartStats>& counted, const HandOn& hand_on) {
  const auto log = make_logger("spool");
  const std::optional<PartName> name = open_part_name(open_file);
  if (!name) return Status::corrupt("not an open part's file name: " + open_file.string());

  std::error_code ec;
  if (!std::filesystem::exists(open_file, ec) && !ec) {
    log->warn("seal skipped: the open file is gone (sealed before?) file={}", open_file.string());
    return std::optional<SealedPart>{};
  }
  if (!compressor_) {
    Result<GzipCompressor> made = GzipCompressor::create(gzip_level_);
    if (!made) return made.status().with_context("sealing " + open_file.string());
    compressor_.emplace(std::move(made).value());
  }
  Result<std::string_view> raw = read_file_into(open_file, part_);
  if (!raw) return raw.status().with_context("sealing");
  const PartStats stats = part_stats(*raw, name->kind, counted);
  if (stats.trimmed_bytes > 0) {
    log->warn("torn last line trimmed file={} trimmed_bytes={}", open_file.string(), stats.trimmed_bytes);
  }
  if (stats.bad_lines > 0) {
    log->warn("part holds lines that do not parse file={} bad_lines={} records={}", open_file.string(),
              stats.bad_lines, stats.record_count);
  }
  if (stats.record_count == 0) {
    log->info("open file holds no complete line; removed, nothing to seal file={} trimmed_bytes={}",
              open_file.string(), stats.trimmed_bytes);
    if (Status removed = remove_open_file(open_file); !removed) return removed.with_context("sealing");
    return std::optional<SealedPart>{};
  }

  Result<std::string_view> gz = compressor_->compress(raw->substr(0, stats.bytes));
  if (!gz) return gz.status().with_context("sealing " + open_file.string());
  Result<std::string> digest = sha256_hex(*gz);
  if (!digest) return digest.status().with_context("sealing " + open_file.string());

  SealedPart sealed = layout_.sealed(*name);
  // Held until the pair is durable: a failed seal takes no number, and one writer's numbers follow
  // the order its parts became durable.
  std::optional<PartSequence::Lease> lease;
  std::optional<PartNumber> number;
  if (sequence_ != nullptr && name->kind == PartKind::kData) {
    number = number_sealed_before(sealed);
    if (!number) {
      lease.emplace(sequence_->lease(*name));
      number = lease->number();
    }
  }
  const std::string manifest = render_manifest({
      .name = *name,
      .stats = stats,
      .bytes_gzip = gz->size(),
      .sha256_hex = std::move(digest).value(),
      .created_at_ms = clock_.system_now_us() / 1000,
      .gzip_level = gzip_level_,
      .notes = notes,
      .number = number,
  });

  if (Status written = write_sealed_pair(sealed, *gz, manifest); !written) return written.with_context("sealing");
  if (lease) {
    lease->commit();
    lease.reset();
  }
  if (hand_on) hand_on(sealed);
  // Not before the pair is durable: until then the open file is the only durable copy.
  if (Status removed = remove_open_file(open_file); !removed) {
    if (!hand_on) return removed.with_context("sealing");
    log->error("sealed and handed on, but the open file could not be removed; the next start seals it again "
               "file={} error=\"{}\"", open_file.string(), removed.message());
  }

  log->debug("sealed key={} records={} bytes={} bytes_gzip={}", name->part_key(), stats.record_count, stats.bytes,
             gz->size());
  return std::optional<SealedPart>{std::move(sealed)};
}

}  // namespace mc
