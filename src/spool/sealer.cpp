#include "spool/sealer.hpp"

#include <algorithm>
#include <map>
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

// Both files are written under temporary names (and synced, alone or by the group's syncfs) before
// either is renamed, so one fsync of sealed/ makes both names durable, not one fsync per rename.
// The part is renamed first: a running reader never sees a manifest without its part. After a power
// loss before that fsync, a manifest without its part can only be found next to the open file it
// came from (the open file is removed after the fsync), and recovery seals that file again.
Status write_temp_pair(const SealedPart& sealed, std::string_view part, std::string_view manifest, bool data_sync) {
  const auto write = data_sync ? write_synced_file : write_unsynced_file;
  if (Status written = write(temp_path_of(sealed.part_file), part); !written) return written;
  Status written = write(temp_path_of(sealed.manifest_file), manifest);
  if (!written) static_cast<void>(remove_file(temp_path_of(sealed.part_file)));
  return written;
}

// Best effort: recovery removes temp files the next start finds; the error returned matters.
void remove_temp_pair(const SealedPart& sealed) {
  static_cast<void>(remove_file(temp_path_of(sealed.part_file)));
  static_cast<void>(remove_file(temp_path_of(sealed.manifest_file)));
}

Status rename_pair(const SealedPart& sealed) {
  if (Status renamed = rename_file(temp_path_of(sealed.part_file), sealed.part_file); !renamed) return renamed;
  return rename_file(temp_path_of(sealed.manifest_file), sealed.manifest_file);
}

// The numbers of a pair sealed from this open file before (a crash after the pair was durable and
// before the open file went): sealing it again must not number the same part twice.
std::optional<PartNumber> number_sealed_before(const SealedPart& sealed) {
  const Result<std::string> text = read_file(sealed.manifest_file);  // missing but after a crash
  if (!text) return std::nullopt;
  return part_number_of_manifest(*text);
}

}  // namespace

std::string writer_of_open_file(const std::filesystem::path& open_file) {
  const std::optional<PartName> name = open_part_name(open_file);
  return name ? name->writer_key() : open_file.string();
}

struct Sealer::Prepared {
  std::size_t index = 0;  // the job's, in seal_group's jobs
  std::filesystem::path open_file;
  SealedPart sealed;
  // Held until the pair is durable: a failed seal takes no number, and one writer's numbers follow
  // the order its parts became durable.
  std::optional<PartSequence::Lease> lease;
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
  std::size_t bytes_gzip = 0;
};

Sealer::Sealer(SpoolLayout layout, int gzip_level, const Clock& clock, PartSequence* sequence)
    : layout_(std::move(layout)), gzip_level_(gzip_level), clock_(clock), sequence_(sequence) {}

Result<std::optional<SealedPart>> Sealer::seal(const std::filesystem::path& open_file, const PartNotes& notes,
                                               const std::optional<PartStats>& counted, const HandOn& hand_on) {
  const SealJob job{.open_file = open_file, .notes = notes, .stats = counted};
  return std::move(seal_group(std::span(&job, 1), hand_on).front());
}

Result<std::optional<Sealer::Prepared>> Sealer::prepare(const SealJob& job, std::size_t index, bool data_sync) {
  const auto log = make_logger("spool");
  const std::filesystem::path& open_file = job.open_file;
  const std::optional<PartName> name = open_part_name(open_file);
  if (!name) return Status::corrupt("not an open part's file name: " + open_file.string());

  std::error_code ec;
  if (!std::filesystem::exists(open_file, ec) && !ec) {
    log->warn("seal skipped: the open file is gone (sealed before?) file={}", open_file.string());
    return std::optional<Prepared>{};
  }
  if (!compressor_) {
    Result<GzipCompressor> made = GzipCompressor::create(gzip_level_);
    if (!made) return made.status().with_context("sealing " + open_file.string());
    compressor_.emplace(std::move(made).value());
  }
  Result<std::string_view> raw = read_file_into(open_file, part_);
  if (!raw) return raw.status().with_context("sealing");
  const PartStats stats = part_stats(*raw, name->kind, job.stats);
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
    return std::optional<Prepared>{};
  }

  Result<std::string_view> gz = compressor_->compress(raw->substr(0, stats.bytes));
  if (!gz) return gz.status().with_context("sealing " + open_file.string());
  Result<std::string> digest = sha256_hex(*gz);
  if (!digest) return digest.status().with_context("sealing " + open_file.string());

  Prepared prepared{.index = index, .open_file = open_file, .sealed = layout_.sealed(*name),
                    .records = stats.record_count, .bytes = stats.bytes, .bytes_gzip = gz->size()};
  std::optional<PartNumber> number;
  if (sequence_ != nullptr && name->kind == PartKind::kData) {
    number = number_sealed_before(prepared.sealed);
    if (!number) {
      prepared.lease.emplace(sequence_->lease(*name));
      number = prepared.lease->number();
    }
  }
  const std::string manifest = render_manifest({
      .name = *name,
      .stats = stats,
      .bytes_gzip = gz->size(),
      .sha256_hex = std::move(digest).value(),
      .created_at_ms = clock_.system_now_us() / 1000,
      .gzip_level = gzip_level_,
      .notes = job.notes,
      .number = number,
  });
  if (Status written = write_temp_pair(prepared.sealed, *gz, manifest, data_sync); !written) {
    return written.with_context("sealing");
  }
  return std::optional<Prepared>{std::move(prepared)};
}

std::vector<Result<std::optional<SealedPart>>> Sealer::seal_group(std::span<const SealJob> jobs,
                                                                   const HandOn& hand_on) {
  const auto log = make_logger("spool");
  std::vector<Result<std::optional<SealedPart>>> results(jobs.size(), std::optional<SealedPart>{});
  // Numbers are leased in the order of the writers' keys, so two threads sealing groups never each
  // hold a lease the other waits for.
  std::vector<std::pair<std::string, std::size_t>> order;
  order.reserve(jobs.size());
  for (std::size_t i = 0; i < jobs.size(); ++i) order.emplace_back(writer_of_open_file(jobs[i].open_file), i);
  std::ranges::sort(order);
  const bool sync_together = 2 * jobs.size() >= kGroupSealFiles;
  std::vector<Prepared> prepared;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const auto& [writer, i] = order[k];
    if (k > 0 && order[k - 1].first == writer) {
      results[i] = Status::fatal("a second part of one writer in a seal group: " + jobs[i].open_file.string());
      continue;
    }
    Result<std::optional<Prepared>> one = prepare(jobs[i], i, !sync_together);
    if (!one) {
      results[i] = one.status();
    } else if (*one) {
      prepared.push_back(std::move(**one));
    }
  }
  if (prepared.empty()) return results;

  // The pairs' bytes are on disk before any name points at them, so whichever renames survive a
  // power loss name complete files.
  const auto fail_all = [&](const Status& why) {
    for (Prepared& part : prepared) {
      remove_temp_pair(part.sealed);
      results[part.index] = why;
    }
  };
  if (sync_together) {
    if (Status synced = sync_file_system(layout_.sealed_dir()); !synced) {
      fail_all(synced.with_context("sealing"));
      return results;
    }
  }
  std::erase_if(prepared, [&](Prepared& part) {
    if (Status renamed = rename_pair(part.sealed); !renamed) {
      remove_temp_pair(part.sealed);
      results[part.index] = renamed.with_context("sealing");
      return true;
    }
    return false;
  });
  if (prepared.empty()) return results;
  if (Status synced = fsync_directory(layout_.sealed_dir()); !synced) {
    fail_all(synced.with_context("sealing"));
    return results;
  }

  for (Prepared& part : prepared) {
    if (part.lease) {
      part.lease->commit();
      part.lease.reset();
    }
    if (hand_on) hand_on(part.sealed);
  }
  // Not before the pairs are durable: until then the open files are the only durable copies.
  std::vector<Status> unlinked;
  unlinked.reserve(prepared.size());
  for (const Prepared& part : prepared) unlinked.push_back(remove_file(part.open_file));
  std::map<std::filesystem::path, Status> directories;  // open/, one fsync for every unlink in it
  for (const Prepared& part : prepared) directories.try_emplace(part.open_file.parent_path(), Status::ok());
  for (auto& [directory, synced] : directories) synced = fsync_directory(directory);
  for (std::size_t k = 0; k < prepared.size(); ++k) {
    Prepared& part = prepared[k];
    const Status removed = unlinked[k] ? directories.at(part.open_file.parent_path()) : unlinked[k];
    if (!removed) {
      if (!hand_on) {
        results[part.index] = removed.with_context("sealing");
        continue;
      }
      log->error("sealed and handed on, but the open file could not be removed; the next start seals it again "
                 "file={} error=\"{}\"", part.open_file.string(), removed.message());
    }
    log->debug("sealed key={} records={} bytes={} bytes_gzip={}", part.sealed.name.part_key(), part.records,
               part.bytes, part.bytes_gzip);
    results[part.index] = std::optional<SealedPart>{std::move(part.sealed)};
  }
  return results;
}

}  // namespace mc
