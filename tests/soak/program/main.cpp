// soak_program SEED: one job of the soak run (tests/soak/README.md). Its top process draws one to
// three rounds from the seed and runs them one after another, then prints one line the driver
// reads:
//   summary rounds R senders S sent N received N unverified N lost_to_kills N problems P
// after a line "problem: ..." for each problem. Exits 0 when there was none, 1 otherwise.
#include "round.hpp"

#include <constellation/constellation.hpp>

#include <iostream>
#include <random>
#include <string>

int main(int argc, char** argv) {
  constellation::init({.mem = 64 * constellation::MiB, .cpu = 1.0 / 16});
  if (argc != 2) {
    std::cerr << "usage: soak_program SEED\n";
    return 2;
  }
  const auto seed = std::stoull(argv[1]);
  std::cout << "seed " << seed << std::endl;
  std::mt19937_64 rng(seed);
  // A child's failure or death is part of the plan: the top process judges it, not the job.
  constellation::this_process::trap_exits();
  const auto rounds = std::uniform_int_distribution<int>(1, 3)(rng);
  std::uint64_t senders = 0, sent = 0, received = 0, unverified = 0, lost_to_kills = 0,
                problems = 0;
  for (int round = 0; round < rounds; ++round) {
    const auto plan = soak::draw_round(rng);
    const auto outcome = soak::run_round(plan);
    senders += plan.senders.size();
    sent += outcome.sent;
    received += outcome.received;
    unverified += outcome.unverified;
    lost_to_kills += outcome.lost_to_kills;
    for (const auto& p : outcome.problems) {
      std::cout << "problem: round " << round << ": " << p << "\n";
      ++problems;
    }
  }
  std::cout << "summary rounds " << rounds << " senders " << senders << " sent " << sent
            << " received " << received << " unverified " << unverified << " lost_to_kills "
            << lost_to_kills << " problems " << problems << std::endl;
  return problems == 0 ? 0 : 1;
}
