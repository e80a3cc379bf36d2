// The binary cache of the bridge, the master and the nodes (cluster/binary_cache.hpp).
#include "bridge_options.hpp"

#include "cluster/binary_cache.hpp"
#include "crypto/crypto.hpp"

#include "temporary_directory.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

using cluster_cli_test::temporary_directory;
using constellation::cluster::binary_cache;
using constellation::crypto::sha256_hex;

namespace {
mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}
}  // namespace

TEST_CASE("binary_cache stores verified binaries under their hash, private to the user") {
  temporary_directory tmp;
  auto cache = binary_cache::open(tmp.path() + "/cache");
  REQUIRE(cache.has_value());
  CHECK(mode_of(cache->dir()) == 0700);
  const std::string bytes = "#!/bin/sh\necho hi\n";
  const auto hash = sha256_hex(bytes);
  CHECK_FALSE(cache->contains(hash, bytes.size()));
  REQUIRE(cache->store(hash, bytes).has_value());
  CHECK(cache->contains(hash, bytes.size()));
  CHECK_FALSE(cache->contains(hash, bytes.size() + 1));
  CHECK(mode_of(cache->path_of(hash)) == 0700);
  CHECK(cache->load(hash) == bytes);
  // Nothing but the binary is left behind: the temporary file was renamed.
  CHECK(std::distance(std::filesystem::directory_iterator(cache->dir()),
                      std::filesystem::directory_iterator()) == 1);
}

TEST_CASE(
    "binary_cache refuses bytes that do not match their hash, and hashes that are not hashes") {
  temporary_directory tmp;
  auto cache = binary_cache::open(tmp.path());
  REQUIRE(cache.has_value());
  const auto wrong = cache->store(sha256_hex("one"), "two");
  REQUIRE_FALSE(wrong.has_value());
  CHECK(wrong.error().find("do not have the hash") != std::string::npos);
  CHECK_FALSE(cache->contains(sha256_hex("one"), 3));
  CHECK_FALSE(cache->store("../escape", "x").has_value());
  CHECK_FALSE(cache->load("../escape").has_value());
  CHECK_FALSE(cache->contains("../escape", 1));
  CHECK(cache->load(sha256_hex("missing")).error().find("cannot open") != std::string::npos);
  CHECK(std::filesystem::is_empty(tmp.path()));
}

TEST_CASE("binary_cache refuses a directory others may enter, or that is not a directory") {
  temporary_directory tmp;
  const std::string open_dir = tmp.path() + "/open";
  REQUIRE(::mkdir(open_dir.c_str(), 0755) == 0);
  REQUIRE(::chmod(open_dir.c_str(), 0755) == 0);
  auto refused = binary_cache::open(open_dir);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().find("chmod 700") != std::string::npos);

  const std::string link = tmp.path() + "/link";
  REQUIRE(::symlink(tmp.path().c_str(), link.c_str()) == 0);
  CHECK(binary_cache::open(link).error().find("not a directory") != std::string::npos);
}

TEST_CASE("binary_cache's default directory is per user and per bridge port") {
  const auto dir = constellation::bridge::default_cache_dir(7000);
  CHECK(dir.ends_with("/constellation-" + std::to_string(::getuid()) + "/bridge-7000"));
  CHECK(binary_cache::default_dir("fabric-127.0.0.1:7001") ==
        dir.substr(0, dir.rfind('/')) + "/fabric-127.0.0.1:7001");
}

TEST_CASE("binary_cache checks the per-user parent of the default directory too") {
  temporary_directory tmp;
  const std::string parent = tmp.path() + "/constellation-" + std::to_string(::getuid());
  REQUIRE(::mkdir(parent.c_str(), 0777) == 0);
  REQUIRE(::chmod(parent.c_str(), 0777) == 0);
  auto refused = binary_cache::open(parent + "/bridge-7000");
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().find(parent) != std::string::npos);
}

TEST_CASE("binary_cache checks the per-user folder further up too, and makes missing parents") {
  temporary_directory tmp;
  const std::string per_user = tmp.path() + "/constellation-" + std::to_string(::getuid());
  // A daemon's caches sit below a folder of its own: <per-user>/<daemon>/binaries.
  auto cache = binary_cache::open(per_user + "/fabric-x/binaries");
  REQUIRE(cache.has_value());
  CHECK(mode_of(per_user) == 0700);
  CHECK(mode_of(per_user + "/fabric-x") == 0700);
  CHECK(mode_of(cache->dir()) == 0700);

  REQUIRE(::chmod(per_user.c_str(), 0755) == 0);
  auto refused = binary_cache::open(per_user + "/fabric-x/binaries");
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().find(per_user + " may be entered by other users") != std::string::npos);
}

TEST_CASE("binary_cache finds a stored binary by its hash, as a program to run") {
  temporary_directory tmp;
  auto cache = binary_cache::open(tmp.path() + "/binaries");
  REQUIRE(cache.has_value());
  const std::string bytes = "#!/bin/sh\necho hi\n";
  const auto hash = sha256_hex(bytes);
  CHECK_FALSE(cache->find(hash).has_value());
  REQUIRE(cache->store(hash, bytes).has_value());
  CHECK(cache->find(hash) == cache->path_of(hash));
  CHECK(::access(cache->find(hash)->c_str(), X_OK) == 0);
  CHECK_FALSE(cache->find("../" + hash.substr(3)).has_value());
  // Stored again (two bridges sent it): the same file, nothing left behind.
  REQUIRE(cache->store(hash, bytes).has_value());
  CHECK(cache->load(hash) == bytes);
  CHECK(std::distance(std::filesystem::directory_iterator(cache->dir()),
                      std::filesystem::directory_iterator()) == 1);
}
