#include "cluster/whole_file.hpp"

#include "posix/unique_fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace constellation::cluster {

std::expected<std::string, std::string> read_whole_file(const std::string& path,
                                                        std::uint64_t max_bytes) {
  const posix::unique_fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file) return std::unexpected("cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(file.get(), &st) != 0 || !S_ISREG(st.st_mode))
    return std::unexpected(path + " is not a regular file");
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes)
    return std::unexpected(path + " has " + std::to_string(st.st_size) + " bytes; the limit is " +
                           std::to_string(max_bytes));
  std::string bytes;
  bytes.reserve(static_cast<std::size_t>(st.st_size));
  char chunk[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(file.get(), chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected("cannot read " + path + ": " + std::strerror(errno));
    if (n == 0) break;
    bytes.append(chunk, static_cast<std::size_t>(n));
  }
  return bytes;
}

}  // namespace constellation::cluster
