#include "crypto/crypto.hpp"

#include "posix/unique_fd.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

namespace constellation::crypto {

namespace {

// An incremental SHA-256: one pass over a buffer or over a file read in chunks.
class sha256 {
 public:
  sha256() : context_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
    if (!context_ || EVP_DigestInit_ex(context_.get(), EVP_sha256(), nullptr) != 1) fail();
  }
  void update(const void* data, std::size_t size) {
    if (EVP_DigestUpdate(context_.get(), data, size) != 1) fail();
  }
  std::string hex_digest() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_DigestFinal_ex(context_.get(), digest, &size) != 1) fail();
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(2 * size);
    for (unsigned int i = 0; i < size; ++i) {
      hex.push_back(digits[digest[i] >> 4]);
      hex.push_back(digits[digest[i] & 15]);
    }
    return hex;
  }

 private:
  [[noreturn]] static void fail() { throw std::runtime_error("SHA-256 failed in OpenSSL"); }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context_;
};

}  // namespace

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  // RAND_bytes takes an int; a request that large is a bug, not a reason to loop.
  if (n > INT_MAX) throw std::runtime_error("random_bytes: request too large");
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    throw std::runtime_error("random_bytes: the OpenSSL random generator failed");
  return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int size = 0;
  if (key.size() > INT_MAX || HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                                   reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                                   reinterpret_cast<unsigned char*>(out.data()), &size) == nullptr)
    throw std::runtime_error("hmac_sha256: OpenSSL HMAC failed");
  out.resize(size);
  return out;
}

void prepare_for_forks() {
  (void)hmac_sha256(std::string(min_secret_size, '\0'), "constellation");
  (void)sha256_hex("constellation");
  // What the random generator is made of, fetched but not instantiated: each process seeds its
  // own generator at its first use.
  EVP_RAND_free(EVP_RAND_fetch(nullptr, "CTR-DRBG", nullptr));
  EVP_RAND_free(EVP_RAND_fetch(nullptr, "SEED-SRC", nullptr));
  EVP_CIPHER_free(EVP_CIPHER_fetch(nullptr, "AES-256-CTR", nullptr));
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string sha256_hex(std::string_view bytes) {
  sha256 hash;
  hash.update(bytes.data(), bytes.size());
  return hash.hex_digest();
}

std::expected<std::string, std::string> sha256_of_file(const std::string& path) {
  sha256 hash;
  // Closed on every way out, the exception of a failing OpenSSL included.
  const posix::unique_fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file) return std::unexpected("cannot read " + path + ": " + std::strerror(errno));
  std::vector<char> chunk(1 << 16);
  for (;;) {
    const ssize_t n = ::read(file.get(), chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected("cannot read " + path + ": " + std::strerror(errno));
    if (n == 0) return hash.hex_digest();
    hash.update(chunk.data(), static_cast<std::size_t>(n));
  }
}

bool is_sha256_hex(std::string_view text) {
  return text.size() == sha256_hex_size && std::ranges::all_of(text, [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace constellation::crypto
