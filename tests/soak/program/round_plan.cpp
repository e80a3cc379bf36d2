#include "round_plan.hpp"

namespace soak {

namespace {

std::uint64_t between(std::mt19937_64& rng, std::uint64_t low, std::uint64_t high) {
  return std::uniform_int_distribution<std::uint64_t>(low, high)(rng);
}

bool chance(std::mt19937_64& rng, double p) {
  return std::bernoulli_distribution(p)(rng);
}

sender_plan draw_sender(std::mt19937_64& rng) {
  sender_plan s;
  // Mostly small messages; some that fill a window in a few, kept few so that a round stays short
  // on a shared machine.
  const auto size = between(rng, 0, 99);
  if (size < 80) {
    s.padding = static_cast<std::uint32_t>(between(rng, 0, 64));
    const auto length = between(rng, 0, 99);
    s.count = length < 70   ? between(rng, 0, 500)
              : length < 95 ? between(rng, 500, 5000)
                            : between(rng, 5000, 30000);
  } else if (size < 95) {
    s.padding = static_cast<std::uint32_t>(between(rng, 64, 4096));
    s.count = between(rng, 0, 1000);
  } else {
    s.padding = static_cast<std::uint32_t>(between(rng, 4096, 65536));
    s.count = between(rng, 0, 200);
  }
  s.note_every = static_cast<std::uint32_t>(between(rng, 1, 50));
  const auto fate = between(rng, 0, 99);
  s.fate = fate < 50   ? sender_fate::complete
           : fate < 60 ? sender_fate::exit_early
           : fate < 70 ? sender_fate::fail_early
           : fate < 85 ? sender_fate::kill_at
                       : sender_fate::kill_async;
  s.stop_at = between(rng, 0, s.count);
  s.delay_ms = static_cast<std::uint32_t>(between(rng, 0, 300));
  s.helper = chance(rng, 0.2);
  s.helper_killed = chance(rng, 0.5);
  return s;
}

}  // namespace

round_plan draw_round(std::mt19937_64& rng) {
  round_plan r;
  const auto senders = between(rng, 1, 4);
  std::uint64_t total = 0;
  for (std::uint64_t i = 0; i < senders; ++i) {
    r.senders.push_back(draw_sender(rng));
    total += r.senders.back().count;
  }
  if (chance(rng, 0.12)) r.receiver_kill_after = between(rng, 0, total / 2);
  r.by_exec = chance(rng, 0.15);
  return r;
}

}  // namespace soak
