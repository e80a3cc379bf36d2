#include "cluster/secret.hpp"

#include "crypto/crypto.hpp"
#include "posix/unique_fd.hpp"
#include "wire/secret_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace constellation::cluster {

namespace {

std::string to_hex(const std::string& bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

// Makes the file at path with a fresh random secret unless it exists. Daemons and clients started
// at the same moment on a fresh account all get here: the secret is written whole to a temporary
// name in the same folder, then linked to path, which fails if another got there first. So the
// name appears only with its whole content (a reader never finds it empty or half-written), and
// the first secret linked is the one everybody reads; rename() would let a later racer replace a
// secret that others have already read.
std::expected<void, std::string> create_secret_file(const std::string& dir,
                                                    const std::string& path) {
  std::string temporary = dir + "/.secret-XXXXXX";
  posix::unique_fd file(::mkostemp(temporary.data(), O_CLOEXEC));  // mode 600, a name of its own
  if (!file) return std::unexpected("cannot create a file in " + dir + ": " + std::strerror(errno));
  const std::string text = to_hex(crypto::random_bytes(32)) + "\n";
  const bool written =
      ::write(file.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
      ::fsync(file.get()) == 0;
  const int write_error = errno;
  file.reset();
  if (!written) {
    ::unlink(temporary.c_str());
    return std::unexpected("cannot write " + temporary + ": " + std::strerror(write_error));
  }
  const bool linked = ::link(temporary.c_str(), path.c_str()) == 0;
  const int link_error = errno;
  ::unlink(temporary.c_str());
  if (!linked && link_error != EEXIST)
    return std::unexpected("cannot create " + path + ": " + std::strerror(link_error));
  return {};
}

std::expected<std::string, std::string> default_secret_path() {
  const char* home = std::getenv("HOME");
  if (!home || !*home)
    return std::unexpected("HOME is not set: give a secret with --secret-file F");
  const std::string dir = std::string(home) + "/.constellation";
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return std::unexpected("cannot create " + dir + ": " + std::strerror(errno));
  const std::string path = dir + "/secret";
  if (::access(path.c_str(), F_OK) != 0) {
    auto created = create_secret_file(dir, path);
    if (!created) return std::unexpected(created.error());
  }
  return path;
}

}  // namespace

std::expected<cluster_secret, std::string> resolve_secret(const std::optional<std::string>& flag) {
  cluster_secret secret;
  if (flag) {
    secret.path = *flag;
    secret.chosen = true;
  } else if (const char* env = std::getenv("CONSTELLATION_SECRET_FILE"); env && *env) {
    secret.path = env;
    secret.chosen = true;
  } else {
    auto path = default_secret_path();
    if (!path) return std::unexpected(path.error());
    secret.path = *path;
  }
  auto bytes = wire::load_secret_file(secret.path);
  if (!bytes) return std::unexpected(bytes.error());
  secret.bytes = std::move(*bytes);
  return secret;
}

std::string job_secret(const std::string& cluster_secret, std::uint64_t job) {
  std::string label = "constellation job secret ";
  for (int i = 0; i < 8; ++i) label.push_back(static_cast<char>((job >> (8 * i)) & 0xff));
  return crypto::hmac_sha256(cluster_secret, label);
}

}  // namespace constellation::cluster
