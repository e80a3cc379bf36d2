// The fork server dies in the middle of a burst of spawns: a child kills it (it is the parent of
// the child's monitor) while four threads spawn. Every spawn still succeeds, those the server had
// not forked by exec instead, and so does every spawn after it.
#include "scenario.hpp"
#include "started_by.hpp"

#include <constellation/constellation.hpp>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <thread>
#include <vector>

namespace {

constexpr int threads = 4, spawns_per_thread = 8;

void killer(constellation::pid parent) {
  const pid_t server = e2e::parent_of(::getppid());
  const std::string block = e2e::environment_block_of(std::to_string(server));
  if (block.find("CONSTELLATION_FORK_SERVER=") == std::string::npos) {
    std::cout << "not started by a fork server\n";
  } else if (::kill(server, SIGKILL) == 0) {
    std::cout << "killed the fork server\n";
  }
  constellation::sender<int>(parent).send(1);
}

void worker(constellation::pid) {
  std::cout << "worker ran\n";
}

void after(constellation::pid) {
  std::cout << "after: " << e2e::started_by() << "\n";
}

// Deployed, a child goes to the first node with room: once the others have ended, `after` goes to
// the node whose fork server was killed, as locally.
void wait_until_ended(const std::vector<constellation::pid>& pids) {
  for (const auto& p : pids)
    while (constellation::status(p) == constellation::process_status::running)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

}  // namespace

CONSTELLATION_SCENARIO(fork_server_killed) {
  constexpr constellation::resources small{.mem = 20 * constellation::MiB};
  const auto killing = constellation::spawn(small, killer);
  std::vector<std::vector<constellation::pid>> spawned(threads);
  std::vector<std::thread> spawners;
  for (int t = 0; t < threads; ++t)
    spawners.emplace_back([&pids = spawned[static_cast<std::size_t>(t)], small] {
      for (int i = 0; i < spawns_per_thread; ++i)
        pids.push_back(constellation::spawn(small, worker));
    });
  constellation::receiver<int>(killing).recv();
  for (auto& s : spawners) s.join();
  wait_until_ended({killing});
  for (const auto& pids : spawned) wait_until_ended(pids);
  constellation::spawn(small, after);
  std::cout << "every spawn succeeded\n";
  return 0;
}
