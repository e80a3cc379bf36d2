#pragma once
// The few cryptographic primitives the wire protocols and the daemons need, over plain byte
// strings (OpenSSL).

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>

namespace constellation::crypto {

// Shared secrets shorter than this are refused: 32 bytes match HMAC-SHA256's strength.
inline constexpr std::size_t min_secret_size = 32;
inline constexpr std::size_t hmac_sha256_size = 32;
inline constexpr std::size_t sha256_hex_size = 64;  // hex digits of a SHA-256

// n bytes from the OpenSSL CSPRNG. Throws std::runtime_error if it cannot be seeded, which only a
// broken system causes; there is nothing safe to fall back to.
std::string random_bytes(std::size_t n);

// HMAC-SHA256 of data under key: always hmac_sha256_size bytes. Throws std::runtime_error if
// OpenSSL fails, which it does not for valid inputs.
std::string hmac_sha256(std::string_view key, std::string_view data);

// Equality in time that depends only on the sizes, so comparing a received proof against the
// expected one leaks no prefix of the latter. Sizes are not secret here.
bool constant_time_equal(std::string_view a, std::string_view b);

// The SHA-256 of bytes as sha256_hex_size lowercase hex digits: how cluster mode names a program's
// binary. Throws std::runtime_error only if OpenSSL fails, which it does not for valid inputs.
std::string sha256_hex(std::string_view bytes);

// The same of a file's content, read in chunks; an error naming the file when it cannot be read.
// Blocks on the disk. Throws std::runtime_error only if OpenSSL fails.
std::expected<std::string, std::string> sha256_of_file(const std::string& path);

// Builds what OpenSSL builds at the first HMAC or digest (its providers and algorithm tables), so
// that the processes a fork server forks afterwards share it rather than each building it, at a
// cost of page faults and about a millisecond. Draws nothing from the random generator.
void prepare_for_forks();

// Whether text has the form sha256_hex gives: exactly sha256_hex_size lowercase hex digits. A hash
// from a peer becomes a file name, so anything else ("../x", "") must be refused before it is used.
bool is_sha256_hex(std::string_view text);

}  // namespace constellation::crypto
