#include "node/binary_cache.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

namespace constellation::fabric {

namespace {

bool valid_hash(std::string_view hash) {
  return hash.size() == 64 && hash.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

void make_folders(const std::string& path) {
  for (std::size_t slash = path.find('/', 1); ; slash = path.find('/', slash + 1)) {
    ::mkdir(path.substr(0, slash).c_str(), 0700);
    if (slash == std::string::npos) break;
  }
}

std::string hex(const unsigned char* bytes, unsigned int n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    out.push_back(digits[bytes[i] >> 4]);
    out.push_back(digits[bytes[i] & 15]);
  }
  return out;
}

class sha256 {
 public:
  sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~sha256() { EVP_MD_CTX_free(ctx_); }
  sha256(const sha256&) = delete;
  sha256& operator=(const sha256&) = delete;
  void update(const void* data, std::size_t n) { EVP_DigestUpdate(ctx_, data, n); }
  std::string finish() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(ctx_, digest, &length);
    return hex(digest, length);
  }

 private:
  EVP_MD_CTX* ctx_;
};

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  sha256 h;
  h.update(bytes.data(), bytes.size());
  return h.finish();
}

std::expected<std::string, std::string> sha256_of_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected("cannot read " + path + ": " + std::strerror(errno));
  sha256 h;
  std::vector<char> chunk(1 << 16);
  ssize_t n;
  while ((n = ::read(fd, chunk.data(), chunk.size())) > 0) h.update(chunk.data(), static_cast<std::size_t>(n));
  const int error = errno;
  ::close(fd);
  if (n < 0) return std::unexpected("cannot read " + path + ": " + std::strerror(error));
  return h.finish();
}

std::string default_cache_folder(const std::string& name) {
  const char* tmp = std::getenv("TMPDIR");
  return std::string(tmp && *tmp ? tmp : "/tmp") + "/constellation-" + std::to_string(::getuid()) + "/" + name;
}

binary_cache::binary_cache(std::string folder) : folder_(std::move(folder)) { make_folders(folder_); }

std::optional<std::string> binary_cache::find(std::string_view hash) const {
  if (!valid_hash(hash)) return std::nullopt;
  std::string path = folder_ + "/" + std::string(hash);
  if (::access(path.c_str(), X_OK) != 0) return std::nullopt;
  return path;
}

std::expected<std::string, std::string> binary_cache::store(std::string_view hash, std::string_view bytes) {
  if (!valid_hash(hash)) return std::unexpected("not a SHA-256 hash: " + std::string(hash.substr(0, 80)));
  if (sha256_hex(bytes) != hash) return std::unexpected("the binary's content does not match its hash " + std::string(hash));
  const std::string path = folder_ + "/" + std::string(hash);
  const std::string temporary = path + ".part." + std::to_string(::getpid());
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
  if (fd < 0) return std::unexpected("cannot write " + temporary + ": " + std::strerror(errno));
  std::string_view rest = bytes;
  while (!rest.empty()) {
    ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = errno;
      ::close(fd);
      ::unlink(temporary.c_str());
      return std::unexpected("cannot write " + temporary + ": " + std::strerror(error));
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  ::fsync(fd);
  ::close(fd);
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    ::unlink(temporary.c_str());
    return std::unexpected("cannot store " + path + ": " + std::strerror(errno));
  }
  ++stored_;
  return path;
}

std::expected<std::string, std::string> binary_cache::read(std::string_view hash) const {
  auto path = find(hash);
  if (!path) return std::unexpected("no cached binary " + std::string(hash));
  std::ifstream in(*path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return std::unexpected("cannot read " + *path);
  return bytes;
}

}  // namespace constellation::fabric
