// Binaries travel once per node: the master sends a node a binary the first time a process of it
// is placed there, and names it by its SHA-256 from then on. Each node of the test cluster has a
// cache folder of its own, so "once per node" shows in each node's log and cache.
#include "fixture/job_events.hpp"
#include "fixture/local_cluster.hpp"
#include "fixture/patience.hpp"
#include "fixture/spread_job.hpp"

#include <doctest/doctest.h>

#include "crypto/crypto.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

using namespace cluster_test;

namespace {

// The cache names a binary by the SHA-256 of its content (crypto/crypto.hpp computes it).
std::string sha256_of_file(const std::string& path) {
  return constellation::crypto::sha256_of_file(path).value_or("");
}

std::size_t count_lines_with(const std::string& text, const std::string& needle) {
  std::istringstream in(text);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) n += line.find(needle) != std::string::npos;
  return n;
}

}  // namespace

TEST_CASE("the binary is transferred once per node") {
  local_cluster cluster;
  INFO(cluster.diagnostics());
  const std::string hash = sha256_of_file(programs_binary());
  const auto size = std::filesystem::file_size(programs_binary());
  const std::string received =
      "received binary " + hash.substr(0, 12) + " (" + std::to_string(size) + " bytes)";

  run_spread(cluster);
  run_spread(cluster);

  for (std::size_t node = 0; node < cluster.node_count(); ++node) {
    CAPTURE(node);
    CHECK(count_lines_with(cluster.node_log(node), received) == 1);
    CHECK(count_lines_with(cluster.node_log(node), "received binary") == 1);
    // The node keeps it under its full hash, intact.
    std::vector<std::string> cached;
    for (const auto& entry :
         std::filesystem::directory_iterator(cluster.node_cache(node) + "/binaries"))
      cached.push_back(entry.path().filename().string());
    REQUIRE(cached.size() == 1);
    CHECK(cached.front() == hash);
    CHECK(sha256_of_file(cluster.node_cache(node) + "/binaries/" + hash) == hash);
  }
}
