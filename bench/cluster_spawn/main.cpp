// cluster_spawn: spawn latency and spawns per second through the master of a three-node loopback
// cluster, next to the same figures for local spawns measured in the same run.
//
//   cluster_spawn [rounds]      sequential spawns per measurement, default 200
//
// Run locally, the program (1) measures local spawns itself, (2) starts a three-node cluster on
// 127.0.0.11-13 as its own child processes in a temporary folder (the constellation-fabric and
// constellation-deploy of this build), (3) deploys itself there twice with --deployed-round: once
// to fill the nodes' binary caches, once to measure; the deployed top process measures exactly as
// the local one did and prints its figures as one line, which this process finds in
// constellation-deploy's output, (4) prints both side by side with their ratio, and (5) stops the
// cluster and removes the folder (kept, and named, when something failed).
//
// A measurement is: 10 warm-up spawns, then `rounds` spawns one after the other, each timed from
// the spawn() call until the spawned process's one byte arrived over TCP at 127.0.0.1, the next
// starting once the previous child exited; then a burst of 50 spawns issued from 4 threads at
// once, timed until all 50 answered. The master places a process on the first node with room, and
// the children end within milliseconds, so in practice they all run on the master's own node:
// what is measured is the path through the master with the binary cached, not a hop to a
// second machine's fabric.

#include "loopback_cluster.hpp"
#include "spawn_figures.hpp"

#include <constellation/constellation.hpp>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

constexpr int default_rounds = 200;
constexpr int burst = 50;
constexpr int cache_warming_rounds = 20;
constexpr double target_ratio = 1.5;  // issue 9: deployed spawn with the binary cached
constexpr const char* deployed_flag = "--deployed-round";

int parse_rounds(const char* text) {
  int rounds = 0;
  const std::string_view view(text);
  auto [end, error] = std::from_chars(view.data(), view.data() + view.size(), rounds);
  if (error != std::errc{} || end != view.data() + view.size() || rounds < 1)
    throw std::invalid_argument("rounds must be a positive integer, not '" + std::string(view) +
                                "'");
  return rounds;
}

cluster_spawn::spawn_figures deployed_figures(cluster_spawn::loopback_cluster& cluster,
                                              int rounds) {
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const std::string output =
      cluster.deploy(self, {deployed_flag, std::to_string(rounds)}, std::chrono::seconds(120));
  auto figures = cluster_spawn::find_figures_line(output);
  if (!figures)
    throw std::runtime_error("the deployed run printed no figures; its output:\n" + output);
  return *figures;
}

void print_row(const char* where, const cluster_spawn::spawn_figures& f) {
  std::printf("%-10s %9.0f %9.0f %9.0f %12.1f\n", where, f.p50_us, f.p99_us, f.mean_us,
              f.spawns_per_s);
}

void report(const cluster_spawn::spawn_figures& local,
            const cluster_spawn::spawn_figures& deployed) {
  std::printf("cluster_spawn: %d sequential spawns each, then a burst of %d from 4 threads\n",
              local.rounds, burst);
  std::printf("latency from spawn() until the child's byte arrived, in microseconds:\n");
  std::printf("%-10s %9s %9s %9s %12s\n", "where", "p50", "p99", "mean", "burst sp/s");
  print_row("local", local);
  print_row("deployed", deployed);
  const double ratio50 = deployed.p50_us / local.p50_us, ratio99 = deployed.p99_us / local.p99_us;
  std::printf("ratio deployed/local: p50 %.2fx, p99 %.2fx, mean %.2fx; spawns/s %.2fx\n", ratio50,
              ratio99, deployed.mean_us / local.mean_us,
              deployed.spawns_per_s / local.spawns_per_s);
  std::printf("target deployed p50 within %.1fx of local (binary cached): %s\n", target_ratio,
              ratio50 <= target_ratio ? "met" : "NOT met");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  constellation::init();
  try {
    if (constellation::this_process::deployed()) {
      const int rounds = argc > 2 && std::strcmp(argv[1], deployed_flag) == 0
                             ? parse_rounds(argv[2])
                             : default_rounds;
      std::printf(
          "%s\n",
          cluster_spawn::figures_line(cluster_spawn::measure_spawns(rounds, burst)).c_str());
      return 0;
    }
    const int rounds = argc > 1 ? parse_rounds(argv[1]) : default_rounds;
    const auto local = cluster_spawn::measure_spawns(rounds, burst);
    cluster_spawn::loopback_cluster cluster(CONSTELLATION_FABRIC, CONSTELLATION_DEPLOY);
    deployed_figures(cluster,
                     cache_warming_rounds);  // the node that runs the children caches the binary
    const auto deployed = deployed_figures(cluster, rounds);
    report(local, deployed);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cluster_spawn: %s\n", e.what());
    return 1;
  }
  return 0;
}
