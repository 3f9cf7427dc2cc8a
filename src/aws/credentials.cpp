#include "aws/credentials.hpp"

namespace mc {

std::string redact_access_key(const std::string& access_key_id) {
  // Keys are 16-128 characters; a shorter one would be mostly revealed by 4 + 4, so it is hidden whole.
  constexpr std::size_t kShown = 4;
  constexpr std::size_t kShortestRedactable = 12;
  if (access_key_id.size() < kShortestRedactable) return "…";
  return access_key_id.substr(0, kShown) + "…" + access_key_id.substr(access_key_id.size() - kShown);
}

}  // namespace mc
