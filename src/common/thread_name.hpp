#pragma once
// Names the calling thread (what top -H, ps -L, perf and gdb show), so an operator can tell which of
// the collector's threads burns CPU. Linux keeps at most 15 characters; longer names are cut.

#include <string>

namespace mc {

void name_this_thread(const std::string& name);

}  // namespace mc
