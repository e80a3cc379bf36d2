// The daemons' binary caches stay within --cache-max-bytes: a node, the master and the bridge it
// starts each remove the least recently used binary no job needs when a new one does not fit, and
// a binary removed and deployed again is simply sent again. Two binaries that each fit the bound
// alone but not together: the test programs, and a copy with bytes appended (another hash, the
// same program).
#include "fixture/child_process.hpp"
#include "fixture/http_get.hpp"
#include "fixture/local_cluster.hpp"
#include "fixture/patience.hpp"

#include <doctest/doctest.h>

#include "crypto/crypto.hpp"

#include <filesystem>
#include <fstream>

using namespace cluster_test;

namespace {

std::string sha256_of_file(const std::string& path) {
  return constellation::crypto::sha256_of_file(path).value_or("");
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The hashes in a node's cache of binaries it runs.
std::vector<std::string> cached(const local_cluster& cluster, std::size_t node) {
  std::vector<std::string> names;
  for (const auto& entry :
       std::filesystem::directory_iterator(cluster.node_cache(node) + "/binaries"))
    names.push_back(entry.path().filename().string());
  return names;
}

// The programs binary with 4 KiB appended: the loader reads only what the ELF headers name.
std::string another_binary(const local_cluster& cluster) {
  const std::string copy = cluster.folder() + "/cluster_programs_copy";
  std::filesystem::copy_file(programs_binary(), copy);
  std::ofstream(copy, std::ios::binary | std::ios::app) << std::string(4096, '\0');
  std::filesystem::permissions(copy, std::filesystem::perms::owner_all);
  return copy;
}

void deploy_hello(const local_cluster& cluster, const std::string& binary) {
  deploy_options options;
  options.binary = binary;
  auto deploy = cluster.deploy({"hello"}, options);
  const auto status = deploy.wait_exit(patience(milliseconds(20000)));
  REQUIRE_MESSAGE(status == 0, deploy.out() << deploy.err());
}

// Refused while the command line is read, before anything else: stopped at the limit otherwise.
finished_run fabric_with(const std::string& flag, const std::string& value) {
  return run_to_end(
      {{fabric_program(), flag, value, "127.0.0.1:7001"}, {}, {"CONSTELLATION_SECRET_FILE"}, {}},
      milliseconds(3000));
}

}  // namespace

TEST_CASE("a node's cache stays within --cache-max-bytes, and a binary pruned is sent again") {
  const auto size = std::filesystem::file_size(programs_binary());
  auto layout = loopback_layout();
  layout.nodes.resize(1);  // the master runs every process, and the bridge
  layout.serve_http = true;
  layout.daemon_args = {"--cache-max-bytes", std::to_string(size * 3 / 2)};
  local_cluster cluster(layout);
  INFO(cluster.diagnostics());
  const std::string first = programs_binary(), second = another_binary(cluster);
  const auto first_hash = sha256_of_file(first), second_hash = sha256_of_file(second);
  REQUIRE(first_hash != second_hash);

  deploy_hello(cluster, first);
  CHECK(cached(cluster, 0) == std::vector<std::string>{first_hash});

  // The second does not fit beside the first, which no job uses any more.
  deploy_hello(cluster, second);
  CHECK(cached(cluster, 0) == std::vector<std::string>{second_hash});
  const std::string removed_first = "removed binary " + first_hash.substr(0, 12);
  const auto log = cluster.node_log(0);
  CHECK(count(log, removed_first) == 3);
  CHECK(count(log, "from the node's cache: the cache held more than") == 1);
  CHECK(count(log, "from the master's cache") == 1);
  CHECK(count(log, "from the bridge's cache") == 1);

  // Deployed again: every daemon finds it missing and asks for it; the master sends it to the node
  // again, though it had sent it before.
  deploy_hello(cluster, first);
  CHECK(cached(cluster, 0) == std::vector<std::string>{first_hash});
  const auto received = "received binary " + first_hash.substr(0, 12);
  CHECK(count(cluster.node_log(0), received) == 2);
  CHECK(count(cluster.node_log(0), "removed binary " + second_hash.substr(0, 12)) == 3);

  const auto metrics = http_get(cluster.http_address(0), "/metrics");
  REQUIRE(metrics);
  CHECK(metric_value(metrics->body, "constellation_binaries_evicted_total{cache=\"node\"}") == 2.0);
  CHECK(metric_value(metrics->body, "constellation_binaries_evicted_total{cache=\"master\"}") ==
        2.0);
  CHECK(metric_value(metrics->body, "constellation_binaries_cached{cache=\"node\"}") == 1.0);
  CHECK(metric_value(metrics->body, "constellation_binary_cache_bytes{cache=\"node\"}") ==
        static_cast<double>(size));
}

TEST_CASE(
    "constellation-fabric refuses a cache bound it cannot read, naming the flag and the forms") {
  const auto run = fabric_with("--cache-max-bytes", "lots");
  CHECK(run.exit_code == 2);
  CHECK(run.err.find("--cache-max-bytes \"lots\": expected a size above 0 such as 512M, 2G") !=
        std::string::npos);
  const auto age = fabric_with("--cache-max-age", "7");
  CHECK(age.exit_code == 2);
  CHECK(age.err.find("--cache-max-age \"7\": expected a whole number above 0 with a unit") !=
        std::string::npos);
}
