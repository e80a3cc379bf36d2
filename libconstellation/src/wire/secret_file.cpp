#include "wire/secret_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "crypto/crypto.hpp"
#include "posix/unique_fd.hpp"

namespace constellation::wire {
namespace {

// A secret is a few dozen bytes; anything far larger is the wrong file, not worth reading.
constexpr off_t max_secret_file_size = 64 * 1024;

std::string generate_hint(const std::string& path) {
  // umask 077 so the new file is private from its first byte.
  return "generate one with: (umask 077; openssl rand -hex 32 > " + path + ")";
}

// A secret made by `openssl rand -hex 32` uses about 14 of the 16 hex digits, a random binary one
// about 28 byte values; one with fewer than this many distinct bytes (32 NUL bytes from a mistaken
// `head -c 32 /dev/zero`, one character repeated, "abab...") can be guessed by anybody, whatever
// its length.
constexpr std::size_t min_distinct_bytes = 8;

bool has_entropy(const std::string& secret) {
  bool seen[256] = {};
  std::size_t distinct = 0;
  for (const unsigned char c : secret)
    if (!seen[c]) {
      seen[c] = true;
      if (++distinct >= min_distinct_bytes) return true;
    }
  return false;
}

}  // namespace

std::expected<std::string, std::string> load_secret_file(const std::string& path) {
  const std::string where = "secret file " + path;
  // O_NONBLOCK: opening a FIFO must not hang; it is refused below as not a regular file.
  const posix::unique_fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!file) {
    const int error = errno;
    std::string message = where + ": " + std::strerror(error);
    if (error == ENOENT) message += "; " + generate_hint(path);
    return std::unexpected(message);
  }
  // fstat on the open descriptor, so the checks apply to the very file that is read.
  struct stat info {};
  if (::fstat(file.get(), &info) != 0) return std::unexpected(where + ": " + std::strerror(errno));
  if (!S_ISREG(info.st_mode)) return std::unexpected(where + " is not a regular file");
  if ((info.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
    return std::unexpected(where + " may be accessed by group or others (mode " + mode +
                           "); make it private with: chmod 600 " + path);
  }
  if (info.st_size > max_secret_file_size)
    return std::unexpected(where + " is larger than 64 KiB: not a secret file");

  std::string secret;
  char buffer[4096];
  for (;;) {
    const auto n = ::read(file.get(), buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(where + ": " + std::strerror(errno));
    }
    secret.append(buffer, static_cast<std::size_t>(n));
    if (secret.size() > static_cast<std::size_t>(max_secret_file_size))
      return std::unexpected(where + " is larger than 64 KiB: not a secret file");
  }
  const auto end = secret.find_last_not_of(" \t\r\n\v\f");
  secret.resize(end == std::string::npos ? 0 : end + 1);
  if (secret.size() < crypto::min_secret_size) {
    return std::unexpected(where + " holds " + std::to_string(secret.size()) +
                           " bytes, fewer than the 32 required; " + generate_hint(path));
  }
  if (!has_entropy(secret)) {
    return std::unexpected(
        where + " holds almost no entropy (fewer than " + std::to_string(min_distinct_bytes) +
        " different byte values), so anybody could guess it; replace it with a random one: " +
        generate_hint(path));
  }
  return secret;
}

}  // namespace constellation::wire
