// Four workers, told each other's pids by the parent, each send one message to every other and
// receive one from every other, then report to the parent: 12 messages in all.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <iostream>
#include <map>
#include <memory>
#include <vector>

using constellation::pid;
using namespace constellation::literals;

namespace {

constexpr int workers = 4;

void worker(pid parent) {
  const auto all = constellation::receiver<std::vector<pid>>(parent).recv();
  const pid me = constellation::this_process::pid();
  int my_index = -1;
  for (int i = 0; i < workers; ++i)
    if (all[i] == me) my_index = i;
  std::map<pid, std::unique_ptr<constellation::receiver<int>>> from;
  for (const pid p : all) {
    if (p == me) continue;
    constellation::sender<int>(p).send(my_index);
    from.emplace(p, std::make_unique<constellation::receiver<int>>(p));
  }
  int got = 0;
  for (int i = 0; i < workers; ++i) {
    if (all[i] == me) continue;
    if (from.at(all[i])->recv() == i) ++got;
  }
  std::cout << "worker " << my_index << " got " << got << " right" << std::endl;
  constellation::sender<int>(parent).send(got);
}

}  // namespace

CONSTELLATION_SCENARIO(channel_b_all_to_all) {
  std::vector<pid> all;
  for (int i = 0; i < workers; ++i)
    all.push_back(constellation::spawn({.mem = 64_MiB, .cpu = 0.1}, worker));
  for (const pid p : all) constellation::sender<std::vector<pid>>(p).send(all);
  int total = 0;
  for (const pid p : all) total += constellation::receiver<int>(p).recv();
  std::cout << total << " messages exchanged" << std::endl;
  return total == 12 ? 0 : 1;
}
