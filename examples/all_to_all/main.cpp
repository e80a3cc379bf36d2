// All-to-all: the top spawns N workers and sends each the list of all their pids; then every
// worker sends one message to every other worker and receives one from each. A pid is all a
// process needs to open a channel to another, whoever spawned it.
//
//   all_to_all [workers]      default 4: 4 * 3 = 12 messages between workers
#include <constellation/constellation.hpp>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

using constellation::pid;
using namespace constellation::literals;

// What one worker says to another: who it is, and whom it meant to reach.
struct greeting {
  pid from, to;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(from, to);
  }
};

void worker(pid parent) {
  const pid self = constellation::this_process::pid();
  const auto everyone = constellation::receiver<std::vector<pid>>(parent).recv();

  // Send first, to all: a send returns once the runtime holds the message, even if the peer
  // has not opened its receiver yet, so no ordering between workers can deadlock here.
  // (A channel to one's own pid is refused, hence the skip.)
  for (const pid& peer : everyone)
    if (peer != self) constellation::sender<greeting>(peer).send({self, peer});

  // Then receive one greeting from each peer and check it was really meant for this process.
  int received = 0;
  for (const pid& peer : everyone) {
    if (peer == self) continue;
    const greeting g = constellation::receiver<greeting>(peer).recv();
    if (g.from == peer && g.to == self) ++received;
  }
  std::cout << self << " received " << received << " greetings" << std::endl;
  constellation::sender<int>(parent).send(received);
}

int main(int argc, char** argv) {
  constellation::init();
  const int n = argc > 1 ? std::atoi(argv[1]) : 4;
  if (n < 2 || n > 32) {
    std::cerr << "usage: all_to_all [workers], workers in 2..32" << std::endl;
    return 2;
  }
  std::vector<pid> workers;
  for (int i = 0; i < n; ++i)
    workers.push_back(constellation::spawn({.mem = 16_MiB, .cpu = 0.1}, worker));
  for (const pid& w : workers) constellation::sender<std::vector<pid>>(w).send(workers);

  int total = 0;
  for (const pid& w : workers) total += constellation::receiver<int>(w).recv();
  const int expected = n * (n - 1);
  std::cout << n << " workers exchanged " << total << " greetings"
            << (total == expected ? "" : " WRONG, expected " + std::to_string(expected))
            << std::endl;
  return total == expected ? 0 : 1;
}
