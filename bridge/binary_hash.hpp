#pragma once
// The name of a program's binary in cluster mode: the SHA-256 of its bytes, in lowercase hex.
// Shared by constellation-deploy (which names its binary) and the bridge (which checks uploads and
// files its cache by it).

#include "wire/frame.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace constellation::bridge {

inline constexpr std::size_t binary_hash_size = 64;  // hex digits of a SHA-256

// The largest binary a deploy can upload: one binary_upload frame carries it, with its hash.
inline constexpr std::uint64_t max_binary_size = wire::default_max_payload - 1024;

// The SHA-256 of bytes as 64 lowercase hex digits. Throws std::runtime_error only if OpenSSL fails,
// which it does not for valid inputs.
std::string sha256_hex(std::string_view bytes);

// Whether text has the form sha256_hex gives: exactly 64 lowercase hex digits. A hash from a peer
// becomes a file name, so anything else ("../x", "") must be refused before it is used.
bool is_binary_hash(std::string_view text);

}  // namespace constellation::bridge
