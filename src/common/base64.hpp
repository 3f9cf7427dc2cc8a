#pragma once
// Standard base64 (RFC 4648, '+' '/', '=' padding). Quarantine lines carry the exact bytes the exchange
// sent in this form, so they survive any content (binary, invalid UTF-8, newlines) inside a JSON line.

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.hpp"

namespace mc {

constexpr std::size_t base64_encoded_size(std::size_t byte_count) { return (byte_count + 2) / 3 * 4; }

// Appends the encoding of bytes to out; reserves once, so a caller that sized out beforehand pays no
// further allocation.
void base64_append(std::string_view bytes, std::string& out);

// Decodes padded base64. Anything else (wrong length, a byte outside the alphabet, misplaced '=',
// non-zero bits in the last group) is kCorrupt: a reader must not trust a quarantine line it cannot
// decode exactly.
Result<std::string> base64_decode(std::string_view text);

}  // namespace mc
