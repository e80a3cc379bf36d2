#pragma once
// The few cryptographic primitives the wire protocols need, over plain byte strings (OpenSSL).

#include <cstddef>
#include <string>
#include <string_view>

namespace constellation::wire {

// Shared secrets shorter than this are refused: 32 bytes match HMAC-SHA256's strength.
inline constexpr std::size_t min_secret_size = 32;
inline constexpr std::size_t hmac_sha256_size = 32;

// n bytes from the OpenSSL CSPRNG. Throws std::runtime_error if it cannot be seeded, which only a
// broken system causes; there is nothing safe to fall back to.
std::string random_bytes(std::size_t n);

// HMAC-SHA256 of data under key: always hmac_sha256_size bytes. Throws std::runtime_error if
// OpenSSL fails, which it does not for valid inputs.
std::string hmac_sha256(std::string_view key, std::string_view data);

// Equality in time that depends only on the sizes, so comparing a received proof against the
// expected one leaks no prefix of the latter. Sizes are not secret here.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace constellation::wire
