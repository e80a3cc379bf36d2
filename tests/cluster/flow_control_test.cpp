// And buffers that grew for a peak (a large binary passing through) are given back after it.
//
// Flow control on a deployed job's streams: a stdin that outruns its reader, and output that
// outruns its client, wait where they come from (the client's stdin, the process's stdout pipe)
// instead of piling up in the bridge, the master or a node. Each test watches the resident memory
// of every daemon of the cluster (and of the deploy client) while the stream is held up, then
// checks that every byte arrived, in order.
#include "fixture/job_events.hpp"
#include "fixture/local_cluster.hpp"
#include "fixture/patience.hpp"
#include "fixture/process_footprint.hpp"
#include "fixture/process_scan.hpp"
#include "programs/modes.hpp"

#include <doctest/doctest.h>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>

using namespace cluster_test;

namespace {

constexpr std::uint64_t MiB = 1024 * 1024;

// The resident memory of the cluster's daemons (every constellation-fabric and the bridge) and of
// a deploy client: measured once at the start, then sampled; each one's growth is checked.
class memory_watch {
 public:
  // client: a deploy client to watch too, or 0.
  memory_watch(const local_cluster& cluster, pid_t client) {
    for (pid_t p : cluster.daemon_processes())
      watched_[p] = {describe_process(p), resident_bytes(p), 0};
    if (client > 0) watched_[client] = {describe_process(client), resident_bytes(client), 0};
    REQUIRE(watched_.size() == cluster.node_count() + 1 + (client > 0));  // fabrics, bridge, client
  }

  void sample() {
    for (auto& [p, w] : watched_) {
      w.last = resident_bytes(p);
      w.peak = std::max(w.peak, w.last);
    }
  }
  void sample_for(milliseconds span) {
    const auto until = std::chrono::steady_clock::now() + span;
    while (std::chrono::steady_clock::now() < until) {
      sample();
      std::this_thread::sleep_for(100ms);
    }
  }

  // Every process grew by at most bound above its memory at the start.
  void check_growth(std::uint64_t bound) const { check(bound, &watched::peak); }
  // Every process holds at most bound above its memory at the start, at the last sample.
  void check_kept(std::uint64_t bound) const { check(bound, &watched::last); }

 private:
  struct watched {
    std::string name;
    std::uint64_t start = 0, peak = 0, last = 0;
  };

  void check(std::uint64_t bound, std::uint64_t watched::*measured) const {
    for (const auto& [p, w] : watched_) {
      CAPTURE(w.name);
      CAPTURE(w.start / MiB);
      CAPTURE(w.*measured / MiB);
#ifdef CONSTELLATION_SANITIZED
      // ASan's allocator keeps what was freed (its quarantine, and no return to the system), so
      // under the sanitizers resident memory measures the allocator more than the code: said, not
      // held to. The Release run holds the bounds; delivery and order are checked in both.
      if (w.*measured > w.start + bound) MESSAGE("over the bound, under the sanitizers");
#else
      CHECK(w.*measured <= w.start + bound);
#endif
    }
  }

  std::map<pid_t, watched> watched_;
};

// Deploys mode (stdin_ignored, stdin_checksum) and waits until its top process printed "ready".
child_process deploy_ready(const local_cluster& cluster, const std::string& mode) {
  auto deploy = cluster.deploy({mode});
  REQUIRE_MESSAGE(
      deploy.wait_for_output([](const std::string& out) { return top_printed(out, "ready"); },
                             patience(milliseconds(20000))),
      deploy.out() << deploy.err());
  return deploy;
}

// Runs a job to its end first, so that the test programs' binary is in the bridge's and the
// daemons' caches before memory is watched: what is measured is then the job's output alone, not
// the upload of a binary (40 MB under the sanitizers, whose allocator keeps what it freed).
void upload_binary_first(const local_cluster& cluster) {
  auto warm_up = cluster.deploy({"hello"});
  REQUIRE(warm_up.wait_exit(milliseconds(30000)) == 0);
}

void check_nothing_left(const local_cluster& cluster) {
  CHECK(eventually([&] { return cluster.deployed_processes().empty(); }, milliseconds(10000)));
  CHECK(cluster.wait_for_status([](const cluster_status& s) { return s.jobs == 0; },
                                milliseconds(5000)));
}

// 1 MiB that differs from every other block of the stream: a block lost, doubled or out of
// order changes the checksum.
std::string block(std::uint64_t index) {
  std::string bytes(MiB, '\0');
  std::uint64_t x = index * 0x9e3779b97f4a7c15ull + 1;
  for (auto& c : bytes) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    c = static_cast<char>(x);
  }
  return bytes;
}

}  // namespace

TEST_CASE("a huge stdin nobody reads waits in the client, not in a daemon") {
  local_cluster cluster;
  INFO(cluster.diagnostics());
  auto deploy = deploy_ready(cluster, "stdin_ignored");
  memory_watch memory(cluster, deploy.pid());

  // Up to 1 GiB, offered as fast as deploy takes it, until it takes nothing for 3 s.
  const std::string zeros(MiB, '\0');
  constexpr std::uint64_t offered = 1024 * MiB;
  std::uint64_t taken = 0;
  while (taken < offered) {
    const auto n = deploy.offer_stdin(zeros, milliseconds(3000));
    memory.sample();
    if (n == 0) break;
    taken += n;
  }
  memory.sample_for(milliseconds(500));
  CAPTURE(taken);
  // Held up on the way: a window in flight, and the pipes' and sockets' buffers.
  CHECK(taken < 64 * MiB);
  memory.check_growth(32 * MiB);

  // Ended as Ctrl-C ends it, with its stdin still held up: nothing of it is left anywhere.
  deploy.signal(SIGINT);
  const auto code = deploy.wait_exit(patience(milliseconds(15000)));
  CHECK(code == 128 + SIGINT);
  check_nothing_left(cluster);
}

TEST_CASE("stdin read slowly arrives whole and in order, and no daemon holds it") {
  local_cluster cluster;
  INFO(cluster.diagnostics());
  auto deploy = deploy_ready(cluster, "stdin_checksum");
  memory_watch memory(cluster, deploy.pid());

  constexpr std::uint64_t blocks = 128;
  std::uint64_t hash = cluster_programs::fnv1a_basis;
  for (std::uint64_t i = 0; i < blocks; ++i) {
    const auto bytes = block(i);
    hash = cluster_programs::fnv1a(hash, bytes);
    std::string_view rest(bytes);
    int idle = 0;  // waits in a row without progress: the program reads 32 MiB/s at most
    while (!rest.empty() && idle < 100) {
      const auto n = deploy.offer_stdin(rest, milliseconds(200));
      memory.sample();
      idle = n == 0 ? idle + 1 : 0;
      rest.remove_prefix(n);
    }
    REQUIRE_MESSAGE(rest.empty(), "deploy took nothing for 20 s at block " << i);
  }
  deploy.close_stdin();
  const auto code = deploy.wait_exit(milliseconds(30000));
  memory.sample();
  CHECK(code == 0);
  char expected[96];
  std::snprintf(expected, sizeof expected, "read %" PRIu64 " bytes, fnv1a %016" PRIx64,
                blocks * MiB, hash);
  CHECK_MESSAGE(top_printed(deploy.out(), expected), top_output(deploy.out()));
  memory.check_growth(32 * MiB);
  check_nothing_left(cluster);
}

TEST_CASE("output its client reads late waits in the process, and arrives whole and in order") {
  local_cluster cluster;
  INFO(cluster.diagnostics());
  constexpr std::uint64_t lines = 768 * 1024;  // 48 MiB
  upload_binary_first(cluster);
  // Deploy's stdout is a pipe the test does not read for now: deploy blocks writing to it, and
  // stops reading its connection to the bridge.
  auto flood = cluster.deploy({"output_flood", std::to_string(lines)});
  memory_watch memory(cluster, flood.pid());
  memory.sample_for(milliseconds(4000));

  // Meanwhile another job on the same daemons and links runs to its end.
  auto other = cluster.deploy({"hello"});
  CHECK(other.wait_exit(patience(milliseconds(20000))) == 0);
  CHECK(top_printed(other.out(), "top done"));
  memory.sample();
  memory.check_growth(16 * MiB);

  const auto code = flood.wait_exit(patience(milliseconds(40000)));
  CHECK(code == 0);
  const job_events events(flood.out());
  const auto output = events.output_of(events.top());
  std::string expected, line;
  expected.reserve(lines * 64);
  for (std::uint64_t i = 0; i < lines; ++i) {
    cluster_programs::flood_line(i, line);
    expected += line;
  }
  CHECK(output.size() == expected.size());
  CHECK(output == expected);
  check_nothing_left(cluster);
}

TEST_CASE("a client that leaves while its job's output is held up has its job ended, wholly") {
  local_cluster cluster;
  INFO(cluster.diagnostics());
  upload_binary_first(cluster);
  // Output held up in the bridge, the node and the monitor, the process blocked on its stdout.
  auto flood = cluster.deploy({"output_flood", std::to_string(768 * 1024)});
  memory_watch memory(cluster, flood.pid());
  memory.sample_for(milliseconds(3000));
  memory.check_growth(16 * MiB);
  CHECK(cluster.wait_for_status([](const cluster_status& s) { return s.jobs == 1; },
                                milliseconds(5000)));
  // The client vanishes: the bridge ends its job, and nothing it held may keep the job alive.
  flood.kill_and_reap();
  check_nothing_left(cluster);
}

TEST_CASE("a large binary passes through every daemon and leaves none of its size behind") {
  local_cluster cluster;
  INFO(cluster.diagnostics());
  // The test programs with 64 MiB appended, which the program never reads: a binary of its own.
  const std::string binary = cluster.folder() + "/large_programs";
  {
    std::ifstream in(programs_binary(), std::ios::binary);
    std::ofstream out(binary, std::ios::binary);
    out << in.rdbuf();
    for (std::uint64_t i = 0; i < 64; ++i) out << block(i);
  }
  REQUIRE(std::filesystem::file_size(binary) > 64 * MiB);
  std::filesystem::permissions(binary, std::filesystem::perms::owner_all);
  memory_watch memory(cluster, 0);

  auto command = cluster.deploy_command({"hello"});
  std::replace(command.argv.begin(), command.argv.end(), std::string(programs_binary()), binary);
  child_process deploy(command);
  CHECK(deploy.wait_exit(patience(milliseconds(40000))) == 0);
  CHECK(top_printed(deploy.out(), "top done"));
  // Uploaded to the bridge, sent to the master, then to the node: each held it whole once.
  memory.sample();
  memory.check_kept(24 * MiB);
}
