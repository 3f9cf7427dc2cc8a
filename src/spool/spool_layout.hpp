#pragma once
// The spool on disk (LOCAL_DIR). Each state is one flat directory; a file's name is its object key,
// encoded by spool_file_name(), so the state of a part is where its file is:
//
//   open/<open_key>          being written (the write-ahead log of the current window)
//   sealed/<part_key>        gzip part, complete and fsynced, waiting for upload
//   sealed/<manifest_key>    its manifest; written after the part, so it marks the pair complete
//   stored/<writer_key>      the newest epoch_ms and part number this writer has stored (stored_marks.hpp)
//   state/ledger.json        the trade ledger: last trade id written, ids missing (ledger_state.hpp)
//
// A part leaves the spool only after the store confirmed both objects: the part file is deleted
// first, then the manifest, so a manifest without its part means "already uploaded".

#include <filesystem>

#include "keys/part_name.hpp"

namespace mc {

struct SealedPart {
  PartName name;
  std::filesystem::path part_file;      // sealed/<part_key>
  std::filesystem::path manifest_file;  // sealed/<manifest_key>
  std::filesystem::path stored_mark;    // stored/<writer_key>: raised before the files are deleted
};

class SpoolLayout {
 public:
  explicit SpoolLayout(std::filesystem::path root) : root_(std::move(root)) {}

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path open_dir() const { return root_ / "open"; }
  std::filesystem::path sealed_dir() const { return root_ / "sealed"; }
  std::filesystem::path stored_dir() const { return root_ / "stored"; }
  std::filesystem::path ledger_file() const { return root_ / "state" / "ledger.json"; }

  std::filesystem::path open_file(const PartName& name) const { return open_dir() / spool_file_name(name.open_key()); }
  SealedPart sealed(const PartName& name) const {
    return {name, sealed_dir() / spool_file_name(name.part_key()), sealed_dir() / spool_file_name(name.manifest_key()),
            stored_mark(name)};
  }
  std::filesystem::path stored_mark(const PartName& name) const {
    return stored_dir() / spool_file_name(name.writer_key());
  }

 private:
  std::filesystem::path root_;
};

}  // namespace mc
