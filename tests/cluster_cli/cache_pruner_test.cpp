// Pruning a binary cache on disk (cluster/cache_pruner.hpp): last uses kept in the files'
// modification times, the chosen binaries removed, the ones in use kept. The policy itself is
// tested without files in tests/unit/cache_pruning_policy_test.cpp.
#include "cluster/cache_pruner.hpp"
#include "cluster/binary_cache.hpp"
#include "crypto/crypto.hpp"

#include "temporary_directory.hpp"

#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>

#include <fcntl.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>

using cluster_cli_test::temporary_directory;
using constellation::cluster::binary_cache;
using constellation::cluster::cache_bounds;
using constellation::cluster::cache_pruner;
using constellation::cluster::daemon_log;
using constellation::crypto::sha256_hex;
using namespace std::chrono_literals;

namespace {

// Stores a binary of `size` bytes and makes its last use `ago` in the past; its hash.
std::string stored(const binary_cache& cache, char fill, std::size_t size,
                   std::chrono::seconds ago) {
  const std::string bytes(size, fill);
  const auto hash = sha256_hex(bytes);
  REQUIRE(cache.store(hash, bytes).has_value());
  const auto when = std::chrono::system_clock::now() - ago;
  const auto since_epoch =
      std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
  const timespec times[2] = {{since_epoch, 0}, {since_epoch, 0}};
  REQUIRE(::utimensat(AT_FDCWD, cache.path_of(hash).c_str(), times, 0) == 0);
  return hash;
}

bool on_disk(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

TEST_CASE("binary_cache lists its binaries with their last use, which a lookup renews") {
  temporary_directory tmp;
  auto cache = binary_cache::open(tmp.path() + "/cache");
  REQUIRE(cache.has_value());
  const auto old = stored(*cache, 'a', 100, 48h);
  const auto listed = cache->list();
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].hash == old);
  CHECK(listed[0].bytes == 100);
  CHECK(listed[0].last_used < std::chrono::system_clock::now() - 47h);
  // Found to be run: used now.
  REQUIRE(cache->find(old).has_value());
  CHECK(cache->list().at(0).last_used > std::chrono::system_clock::now() - 1h);
  CHECK(cache->remove(old).has_value());
  CHECK(cache->list().empty());
  CHECK(cache->remove(old).has_value());  // gone already: nothing to do
  CHECK_FALSE(cache->remove("not-a-hash").has_value());
}

TEST_CASE(
    "cache_pruner removes the least recently used binaries beyond the bound, never one in use") {
  temporary_directory tmp;
  auto cache = binary_cache::open(tmp.path() + "/cache");
  REQUIRE(cache.has_value());
  const auto oldest = stored(*cache, 'a', 1000, 3h);
  const auto running = stored(*cache, 'b', 1000, 2h);
  const auto recent = stored(*cache, 'c', 1000, 1h);
  boost::asio::io_context io;
  const daemon_log log("test", false, constellation::cluster::log_level::warn);
  cache_pruner pruner(io.get_executor(), *cache, cache_bounds{2500, std::nullopt}, log, "the cache",
                      [&] { return std::set<std::string>{running}; });
  pruner.prune();
  CHECK_FALSE(on_disk(cache->path_of(oldest)));
  CHECK(on_disk(cache->path_of(running)));
  CHECK(on_disk(cache->path_of(recent)));
  CHECK(pruner.evicted() == 1);
  CHECK(cache->current_usage().bytes == 2000);

  // A binary just stored is kept, though it alone fills the bound; the least recent other goes.
  const std::string big(2400, 'd');
  const auto big_hash = sha256_hex(big);
  REQUIRE(cache->store(big_hash, big).has_value());
  pruner.stored(big_hash);
  CHECK(on_disk(cache->path_of(big_hash)));
  CHECK(on_disk(cache->path_of(running)));
  CHECK_FALSE(on_disk(cache->path_of(recent)));
  CHECK(pruner.evicted() == 2);
}

TEST_CASE("cache_pruner removes binaries unused beyond the age bound, and uploads a crash left") {
  temporary_directory tmp;
  auto cache = binary_cache::open(tmp.path() + "/cache");
  REQUIRE(cache.has_value());
  const auto stale = stored(*cache, 'a', 10, 8 * 24h);
  const auto fresh = stored(*cache, 'b', 10, 6 * 24h);
  // A temporary file of a store interrupted two days ago, and one of a store under way.
  const std::string leftover = cache->dir() + "/.upload-abc123",
                    current = cache->dir() + "/.upload-def456";
  std::ofstream(leftover) << "half";
  std::ofstream(current) << "half";
  const auto two_days_ago = std::chrono::duration_cast<std::chrono::seconds>(
      (std::chrono::system_clock::now() - 48h).time_since_epoch());
  const timespec times[2] = {{two_days_ago.count(), 0}, {two_days_ago.count(), 0}};
  REQUIRE(::utimensat(AT_FDCWD, leftover.c_str(), times, 0) == 0);

  boost::asio::io_context io;
  const daemon_log log("test", false, constellation::cluster::log_level::warn);
  cache_pruner pruner(io.get_executor(), *cache, cache_bounds{}, log, "the cache", nullptr);
  pruner.start();  // prunes at once
  CHECK_FALSE(on_disk(cache->path_of(stale)));
  CHECK(on_disk(cache->path_of(fresh)));
  CHECK_FALSE(on_disk(leftover));
  CHECK(on_disk(current));
  CHECK(pruner.evicted() == 1);
  pruner.stop();
  io.run();  // the cancelled timer's handler runs and does nothing
}
