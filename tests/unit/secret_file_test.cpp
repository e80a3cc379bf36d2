#include "wire/secret_file.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace constellation::wire;

namespace {

// A file in a fresh temporary directory, removed with the directory at the end of the test.
struct temp_secret_file {
  std::filesystem::path dir;
  std::string path;
  temp_secret_file(const std::string& content, mode_t mode) {
    char pattern[] = "/tmp/secret_file_test.XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    dir = pattern;
    path = (dir / "secret").string();
    std::ofstream(path, std::ios::binary) << content;
    REQUIRE(::chmod(path.c_str(), mode) == 0);
  }
  ~temp_secret_file() { std::filesystem::remove_all(dir); }
};

const std::string hex_secret = "3f1c0a9be0d24c7d8e5f6a1b2c3d4e5f3f1c0a9be0d24c7d8e5f6a1b2c3d4e5f";

}  // namespace

TEST_CASE("secret file: a private file is read, trailing newline stripped") {
  temp_secret_file file(hex_secret + "\n", 0600);
  const auto secret = load_secret_file(file.path);
  REQUIRE(secret.has_value());
  CHECK(*secret == hex_secret);

  temp_secret_file crlf(hex_secret + " \r\n\t\n", 0400);
  CHECK(load_secret_file(crlf.path).value() == hex_secret);
}

TEST_CASE("secret file: group or other permissions are refused, naming the fix") {
  for (const mode_t mode : {mode_t{0644}, mode_t{0640}, mode_t{0602}}) {
    temp_secret_file file(hex_secret, mode);
    const auto secret = load_secret_file(file.path);
    REQUIRE_FALSE(secret.has_value());
    CHECK(secret.error().find(file.path) != std::string::npos);
    CHECK(secret.error().find("chmod 600 " + file.path) != std::string::npos);
    CHECK(secret.error().find(hex_secret) == std::string::npos);
  }
}

TEST_CASE("secret file: a short secret is refused, saying how to make one") {
  const std::string short_secret = "only-31-bytes-of-secret-here-ok";
  REQUIRE(short_secret.size() == 31);
  temp_secret_file file(short_secret + "\n\n", 0600);
  const auto secret = load_secret_file(file.path);
  REQUIRE_FALSE(secret.has_value());
  CHECK(secret.error().find(file.path) != std::string::npos);
  CHECK(secret.error().find("openssl rand -hex 32") != std::string::npos);
  CHECK(secret.error().find(short_secret) == std::string::npos);

  temp_secret_file empty("", 0600);
  CHECK_FALSE(load_secret_file(empty.path).has_value());
}

TEST_CASE("secret file: a missing file names the file and how to make one") {
  const std::string path = "/nonexistent/constellation/secret";
  const auto secret = load_secret_file(path);
  REQUIRE_FALSE(secret.has_value());
  CHECK(secret.error().find(path) != std::string::npos);
  CHECK(secret.error().find("No such file") != std::string::npos);
  CHECK(secret.error().find("openssl rand -hex 32 > " + path) != std::string::npos);
}

TEST_CASE("secret file: a directory is refused") {
  temp_secret_file file(hex_secret, 0600);
  REQUIRE(::chmod(file.dir.c_str(), 0700) == 0);
  const auto secret = load_secret_file(file.dir.string());
  REQUIRE_FALSE(secret.has_value());
  CHECK(secret.error().find("not a regular file") != std::string::npos);
}

TEST_CASE("secret file: a secret without entropy is refused, naming the file and the fix") {
  // 32 NUL bytes pass a length check and are the first thing a mistaken `head -c 32 /dev/zero`
  // gives; a secret of one repeated character is as guessable.
  for (const std::string& weak :
       {std::string(32, '\0'), std::string(64, 'a'), std::string(40, '\xff'),
        std::string("abababababababababababababababab")}) {
    temp_secret_file file(weak, 0600);
    const auto secret = load_secret_file(file.path);
    REQUIRE_FALSE(secret.has_value());
    CAPTURE(secret.error());
    CHECK(secret.error().find(file.path) != std::string::npos);
    CHECK(secret.error().find("entropy") != std::string::npos);
    CHECK(secret.error().find("openssl rand -hex 32") != std::string::npos);
  }
  // A random secret, hex or binary, passes.
  temp_secret_file hex(hex_secret, 0600);
  CHECK(load_secret_file(hex.path).has_value());
  std::string binary;
  for (int i = 0; i < 32; ++i) binary.push_back(static_cast<char>(i * 37 + 11));
  temp_secret_file raw(binary, 0600);
  CHECK(load_secret_file(raw.path).has_value());
}
