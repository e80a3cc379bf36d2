#include "cluster/binary_cache.hpp"

#include "cluster/whole_file.hpp"
#include "crypto/crypto.hpp"
#include "posix/unique_fd.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace constellation::cluster {

namespace {

std::string errno_text(int error) {
  return std::strerror(error);
}

// The name store gives a binary while it is being written.
constexpr std::string_view upload_prefix = ".upload-";

std::string not_a_hash(std::string_view hash) {
  return "\"" + std::string(hash.substr(0, 80)) + "\" is not a SHA-256 hash";
}

// The name default_dir gives the per-user folder.
std::string per_user_folder_name() {
  return "constellation-" + std::to_string(::getuid());
}

// Makes the missing parents of path, each with mode 0700, as mkdir -p does.
std::expected<void, std::string> make_parents(const std::string& path) {
  for (auto slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    const std::string parent = path.substr(0, slash);
    struct stat st {};
    if (::stat(parent.c_str(), &st) == 0) continue;
    if (errno != ENOENT || (::mkdir(parent.c_str(), 0700) != 0 && errno != EEXIST))
      return std::unexpected("cannot create the directory " + parent + ": " + errno_text(errno));
  }
  return {};
}

// Makes dir if missing (mode 0700) and checks that it is a private directory of this user.
std::expected<void, std::string> private_directory(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return std::unexpected("cannot create the cache directory " + dir + ": " + errno_text(errno));
  struct stat st {};
  // lstat: a symbolic link planted in a shared /tmp must not redirect the cache elsewhere.
  if (::lstat(dir.c_str(), &st) != 0)
    return std::unexpected("cannot inspect " + dir + ": " + errno_text(errno));
  if (!S_ISDIR(st.st_mode))
    return std::unexpected(dir +
                           " is not a directory: remove it, or give another with --cache-dir");
  if (st.st_uid != ::getuid())
    return std::unexpected(
        dir + " belongs to another user: give a directory of your own with --cache-dir");
  if ((st.st_mode & 077) != 0)
    return std::unexpected(dir + " may be entered by other users: make it private (chmod 700 " +
                           dir + ")");
  return {};
}

std::expected<void, std::string> write_fully(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(errno_text(errno));
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

// A lookup that found the binary: its modification time becomes now, its last use (see the
// header). A failure only makes the binary look older than it is.
void mark_used(const std::string& path) {
  ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);
}

std::chrono::system_clock::time_point modified(const struct stat& st) {
  const auto since_epoch =
      std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec);
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(since_epoch));
}

// Calls visit(name, stat) for each regular file in dir.
template <class Visit>
void each_file(const std::string& dir, Visit visit) {
  DIR* listing = ::opendir(dir.c_str());
  if (!listing) return;
  while (const dirent* entry = ::readdir(listing)) {
    struct stat st {};
    if (::fstatat(::dirfd(listing), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(st.st_mode))
      continue;
    visit(std::string_view(entry->d_name), st);
  }
  ::closedir(listing);
}

}  // namespace

std::string binary_cache::default_dir(std::string_view name) {
  const char* tmp = std::getenv("TMPDIR");
  const std::string base = tmp && *tmp ? tmp : "/tmp";
  return base + "/" + per_user_folder_name() + "/" + std::string(name);
}

std::expected<binary_cache, std::string> binary_cache::open(const std::string& dir) {
  std::string path = dir;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (auto made = make_parents(path); !made) return std::unexpected(made.error());
  // The default's per-user folder sits where everyone may write: it gets the same checks, as does
  // a parent named like it.
  const std::string per_user = per_user_folder_name();
  for (auto slash = path.rfind('/'); slash != std::string::npos && slash > 0;
       slash = path.rfind('/', slash - 1)) {
    const std::string parent = path.substr(0, slash);
    const std::string parent_name = parent.substr(parent.rfind('/') + 1);
    const bool nearest = slash == path.rfind('/');
    if (parent_name == per_user || (nearest && parent_name.starts_with("constellation-")))
      if (auto checked = private_directory(parent); !checked)
        return std::unexpected(checked.error());
  }
  if (auto checked = private_directory(path); !checked) return std::unexpected(checked.error());
  return binary_cache(std::move(path));
}

std::string binary_cache::path_of(std::string_view hash) const {
  return dir_ + "/" + std::string(hash);
}

bool binary_cache::contains(std::string_view hash, std::uint64_t size) const {
  if (!crypto::is_sha256_hex(hash)) return false;
  struct stat st {};
  const std::string path = path_of(hash);
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<std::uint64_t>(st.st_size) != size)
    return false;
  mark_used(path);
  return true;
}

std::optional<std::string> binary_cache::find(std::string_view hash) const {
  if (!crypto::is_sha256_hex(hash)) return std::nullopt;
  std::string path = path_of(hash);
  if (::access(path.c_str(), X_OK) != 0) return std::nullopt;
  mark_used(path);
  return path;
}

std::expected<void, std::string> binary_cache::store(std::string_view hash,
                                                     std::string_view bytes) const {
  if (!crypto::is_sha256_hex(hash)) return std::unexpected(not_a_hash(hash));
  if (crypto::sha256_hex(bytes) != hash)
    return std::unexpected("the uploaded bytes do not have the hash " + std::string(hash));
  std::string temporary = dir_ + "/" + std::string(upload_prefix) + "XXXXXX";
  posix::unique_fd file(::mkostemp(temporary.data(), O_CLOEXEC));
  if (!file) return std::unexpected("cannot create a file in " + dir_ + ": " + errno_text(errno));
  auto written = write_fully(file.get(), bytes);
  if (written && ::fchmod(file.get(), 0700) != 0) written = std::unexpected(errno_text(errno));
  // On the disk before it has its name: a crash must not leave an empty file under the hash.
  if (written && ::fsync(file.get()) != 0) written = std::unexpected(errno_text(errno));
  // Closed here, not at the end of the scope: a write error may show only when it closes.
  if (::close(file.release()) != 0 && written) written = std::unexpected(errno_text(errno));
  if (written && ::rename(temporary.c_str(), path_of(hash).c_str()) != 0)
    written = std::unexpected(errno_text(errno));
  if (!written) {
    ::unlink(temporary.c_str());
    return std::unexpected("cannot store the binary in " + dir_ + ": " + written.error());
  }
  return {};
}

std::expected<std::string, std::string> binary_cache::load(std::string_view hash) const {
  if (!crypto::is_sha256_hex(hash)) return std::unexpected(not_a_hash(hash));
  auto bytes = read_whole_file(path_of(hash));
  if (bytes) mark_used(path_of(hash));
  return bytes;
}

std::expected<void, std::string> binary_cache::remove(std::string_view hash) const {
  if (!crypto::is_sha256_hex(hash)) return std::unexpected(not_a_hash(hash));
  if (::unlink(path_of(hash).c_str()) != 0 && errno != ENOENT)
    return std::unexpected("cannot remove " + path_of(hash) + ": " + errno_text(errno));
  return {};
}

std::size_t binary_cache::remove_leftover_uploads(
    std::chrono::system_clock::time_point cutoff) const {
  std::vector<std::string> leftovers;
  each_file(dir_, [&](std::string_view name, const struct stat& st) {
    if (name.starts_with(upload_prefix) && modified(st) < cutoff) leftovers.emplace_back(name);
  });
  std::size_t removed = 0;
  for (const auto& name : leftovers) removed += ::unlink((dir_ + "/" + name).c_str()) == 0;
  return removed;
}

std::vector<binary_cache::stored_binary> binary_cache::list() const {
  std::vector<stored_binary> binaries;
  each_file(dir_, [&](std::string_view name, const struct stat& st) {
    // Temporary files are named otherwise.
    if (crypto::is_sha256_hex(name))
      binaries.push_back({std::string(name), static_cast<std::uint64_t>(st.st_size), modified(st)});
  });
  return binaries;
}

binary_cache::usage binary_cache::current_usage() const {
  usage u;
  for (const auto& binary : list()) {
    ++u.binaries;
    u.bytes += binary.bytes;
  }
  return u;
}

}  // namespace constellation::cluster
