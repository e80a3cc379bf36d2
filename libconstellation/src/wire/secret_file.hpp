#pragma once
// The shared secret that authenticates connections (wire/handshake.hpp), read from a file.

#include <expected>
#include <string>

namespace constellation::wire {

// The secret in path, trailing whitespace removed (so `openssl rand -hex 32 > F` works as is).
// Refuses, with a message that names the file and the fix: a missing or unreadable file, one that
// is not a regular file, one that group or others may access (the secret would not be secret),
// one holding fewer than min_secret_size bytes, and one with no entropy to speak of (fewer than 8
// different byte values, such as 32 NUL bytes or one character repeated). Messages never contain
// the file's content.
// Reads a local file; does not block otherwise (a FIFO is refused, not waited on).
std::expected<std::string, std::string> load_secret_file(const std::string& path);

}  // namespace constellation::wire
