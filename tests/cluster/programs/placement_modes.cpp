// Where processes go, and what happens when there is no room. The sizes are chosen against the
// test cluster (local_cluster.hpp): 2 GiB/2 cores, 1 GiB/1, 512 MiB/0.5, in this order, with the
// top process (64 MiB, 0.0625 cores) on the first node.
#include "programs/modes.hpp"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace cluster_programs {

using constellation::pid;
using namespace constellation::literals;

namespace {

// A job that ignores the signals that end it gently (Ctrl-C's SIGINT, SIGTERM, SIGHUP), so that
// only SIGKILL ends it.
void ignore_gentle_signals() {
  for (int s : {SIGINT, SIGTERM, SIGHUP}) ::signal(s, SIG_IGN);
}

// Says who it is and holds its resources until its parent sends a word; a stubborn one ignores
// the gentle signals first. Without a parent, it has nothing to wait for: it says so and exits 4.
void held_child(pid parent, std::string name, bool stubborn) {
  if (stubborn) ignore_gentle_signals();
  // Summed over the job by the master: the status page test reads it back from /metrics.
  constellation::add_to_counter("held_children");
  std::cout << name << " " << constellation::this_process::pid() << std::endl;
  constellation::receiver<int> from_parent(parent);
  try {
    from_parent.recv();
  } catch (const constellation::channel_error& e) {
    std::cout << "parent gone: " << e.what() << std::endl;
    std::exit(4);
  }
}

void waiter(pid) {
  std::cout << "waiter " << constellation::this_process::pid() << std::endl;
}

void greeter(pid) {
  std::cout << "hello from " << constellation::this_process::pid() << std::endl;
}

// Lets every child go; the names of those that could not be told (they are gone).
int release(const std::vector<std::pair<std::string, pid>>& children) {
  int lost = 0;
  for (const auto& [name, child] : children) {
    try {
      constellation::sender<int>(child).send(1);
    } catch (const constellation::channel_error& e) {
      std::cout << "lost " << name << ": " << e.what() << std::endl;
      ++lost;
    }
  }
  return lost;
}

// Returns when a line arrives on stdin. At the end of stdin (the job is being ended: its node
// closes the top process's stdin) nothing was asked: it holds on until it is killed.
void wait_for_line() {
  std::string line;
  if (std::getline(std::cin, line)) return;
  std::cout << "stdin closed" << std::endl;
  for (;;) ::pause();
}

}  // namespace

int spread(bool stubborn, bool cue_before_last) {
  // A fits only on the first node. Then the first keeps 448 MiB and 0.4375 cores: B fits only on
  // the second, which then keeps 124 MiB and 0.1 cores, so C fits only on the third.
  const std::pair<const char*, constellation::resources> wanted[] = {
      {"A", {.mem = 1536_MiB, .cpu = 1.5}},
      {"B", {.mem = 900_MiB, .cpu = 0.9}},
      {"C", {.mem = 450_MiB, .cpu = 0.45}}};
  std::vector<std::pair<std::string, pid>> children;
  for (const auto& [name, needs] : wanted) {
    if (cue_before_last && std::string_view(name) == "C") {
      std::cout << "C on cue" << std::endl;
      wait_for_line();
    }
    try {
      children.emplace_back(name,
                            constellation::spawn(needs, held_child, std::string(name), stubborn));
    } catch (const constellation::spawn_error& e) {
      // Its node was lost while it started, say: the others are let go, and the job fails.
      std::cout << "spawn " << name << " failed: " << e.what() << std::endl;
      release(children);
      return 3;
    }
    std::cout << "spawned " << name << " " << children.back().second << std::endl;
  }
  if (stubborn) ignore_gentle_signals();
  std::cout << "ready" << std::endl;
  wait_for_line();
  return release(children) == 0 ? 0 : 3;
}

int capacity() {
  // Every core of the cluster taken: the first node's 2 (with this top process's 0.0625), the
  // second's 1 and the third's 0.5.
  const std::pair<const char*, constellation::resources> fillers[] = {
      {"F1", {.mem = 256_MiB, .cpu = 1.9375}},
      {"F2", {.mem = 256_MiB, .cpu = 1}},
      {"F3", {.mem = 256_MiB, .cpu = 0.5}}};
  std::vector<std::pair<std::string, pid>> children;
  for (const auto& [name, needs] : fillers) {
    children.emplace_back(name, constellation::spawn(needs, held_child, std::string(name), false));
    std::cout << "spawned " << name << " " << children.back().second << std::endl;
  }
  const constellation::resources quarter{.mem = 64_MiB, .cpu = 0.25};
  if (auto refused = constellation::try_spawn(quarter, waiter); refused)
    std::cout << "try_spawn started " << *refused << std::endl;
  else
    std::cout << "try_spawn refused " << to_string(refused.error().reason()) << ": "
              << refused.error().what() << std::endl;

  // The test frees room with a line on stdin, read by a thread of its own since spawn() blocks:
  // F3 is let go, and the waiting spawn takes its place.
  const pid f3 = children.back().second;
  std::thread releaser([f3] {
    wait_for_line();
    constellation::sender<int>(f3).send(1);
  });
  std::cout << "waiting" << std::endl;
  const auto asked = std::chrono::steady_clock::now();
  const pid admitted = constellation::spawn(quarter, waiter);
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - asked);
  std::cout << "spawned waiter " << admitted << " after " << waited.count() << " ms" << std::endl;
  releaser.join();
  children.pop_back();
  return release(children) == 0 ? 0 : 3;
}

int fan_out(std::size_t count) {
  // A child asks for a whole core, and each node of the scale test's cluster has one to spare:
  // the children can only land one per node, in the order of nodes.toml.
  const constellation::resources one_core{.mem = 64_MiB, .cpu = 1};
  std::vector<std::pair<std::string, pid>> children;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string name = "W" + std::to_string(i);
    try {
      children.emplace_back(name, constellation::spawn(one_core, held_child, name, false));
    } catch (const constellation::spawn_error& e) {
      std::cout << "spawn " << name << " failed: " << e.what() << std::endl;
      release(children);
      return 3;
    }
    std::cout << "spawned " << name << " " << children.back().second << std::endl;
  }
  std::cout << "ready" << std::endl;
  wait_for_line();
  return release(children) == 0 ? 0 : 3;
}

int never_fits() {
  const std::pair<const char*, constellation::resources> asks[] = {
      {"memory", {.mem = 3_GiB, .cpu = 0.25}},  // more than the largest node's 2 GiB
      {"cores", {.mem = 64_MiB, .cpu = 4}}};    // more than the largest node's 2 cores
  int as_documented = 0;
  for (const auto& [what, needs] : asks) {
    auto r = constellation::try_spawn(needs, waiter);
    if (r) {
      std::cout << "try_spawn " << what << " started " << *r << std::endl;
    } else {
      std::cout << "try_spawn " << what << " refused " << to_string(r.error().reason()) << ": "
                << r.error().what() << std::endl;
      as_documented += r.error().reason() == constellation::spawn_errc::never_fits;
    }
    // spawn() must not wait for room that can never come: it throws at once.
    try {
      const pid p = constellation::spawn(needs, waiter);
      std::cout << "spawn " << what << " started " << p << std::endl;
    } catch (const constellation::spawn_error& e) {
      std::cout << "spawn " << what << " threw " << to_string(e.reason()) << ": " << e.what()
                << std::endl;
      as_documented += e.reason() == constellation::spawn_errc::never_fits;
    }
  }
  return as_documented == 4 ? 0 : 1;
}

int hello() {
  constellation::spawn({.mem = 32_MiB, .cpu = 0.0625}, greeter);
  std::cout << "top done" << std::endl;
  return 0;
}

int short_lived(std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    const pid child = constellation::spawn({.mem = 32_MiB, .cpu = 0.0625}, [](pid parent) {
      constellation::sender<int>(parent).send(1);
    });
    // Its word before the next: about one process at a time, all on the first node.
    constellation::receiver<int>(child).recv();
  }
  std::cout << "spawned " << count << std::endl;
  return 0;
}

}  // namespace cluster_programs
