#pragma once
// A sealed pair whose key turned out to hold a different object in the store (the store refused to
// overwrite it) moves to a free epoch_ms in sealed/, so both objects are kept: the part's bytes stay
// as they are, the manifest names the new key and keeps every other member.
//
// The new epoch_ms counts down from the old one: a writer only names parts above every epoch_ms it
// used before, so a lower one cannot be taken by a part that is about to be written. A lower name
// that is taken in the store too is found by the next put, which moves the pair again.

#include <string_view>

#include "common/status.hpp"
#include "spool/spool_layout.hpp"

namespace mc {

// Links the part under the first lower epoch_ms that no file in open/ or sealed/ uses, writes the
// rewritten manifest there, fsyncs sealed/, then removes the old part and the old manifest (in that
// order: a manifest left alone means "uploaded" to start-up recovery, and its part lives on under the
// new name). Returns the pair under its new name once that is durable. A crash part way leaves both
// pairs, which hold the same part bytes: the old one is moved again when its put meets the same object.
Result<SealedPart> move_to_free_epoch(const SpoolLayout& layout, const SealedPart& part, std::string_view manifest);

}  // namespace mc
