#pragma once
// Base64 with the standard alphabet and '=' padding (RFC 4648, section 4), for carrying raw process
// output inside JSON strings.

#include <optional>
#include <string>
#include <string_view>

namespace constellation::report {

std::string base64_encode(std::string_view bytes);

// The decoded bytes; nullopt when text is not canonical padded base64: a length that is not a
// multiple of 4, a character outside the alphabet (whitespace included), misplaced padding, or
// non-zero bits in the unused part of the last character. Being strict keeps one encoding per
// byte string, so a round trip is an identity both ways.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace constellation::report
