// Fork-join: N workers each sum the squares of one slice of [1, count], and the top gathers the
// partial sums in whatever order they finish, with select() over a vector of receivers.
//
//   fork_join [workers [count]]      default 8 workers, count 1000000
#include <constellation/constellation.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <span>
#include <string>
#include <vector>

using constellation::pid;
using namespace constellation::literals;

// Sums i * i over [first, last).
void sum_of_squares(pid parent, std::uint64_t first, std::uint64_t last) {
  std::uint64_t sum = 0;
  for (std::uint64_t i = first; i < last; ++i) sum += i * i;
  constellation::sender<std::uint64_t>(parent).send(sum);
}

int main(int argc, char** argv) {
  constellation::init();
  const int workers = argc > 1 ? std::atoi(argv[1]) : 8;
  const long long count = argc > 2 ? std::atoll(argv[2]) : 1'000'000;
  // Up to 2'000'000, the check's n(n+1)(2n+1) fits in 64 bits.
  if (workers < 1 || workers > 64 || count < 0 || count > 2'000'000) {
    std::cerr << "usage: fork_join [workers [count]], workers in 1..64, count in 0..2000000\n";
    return 2;
  }
  const auto n = static_cast<std::uint64_t>(count);

  // Fork: worker w takes [1 + n*w/workers, 1 + n*(w+1)/workers), so the slices tile [1, n].
  std::vector<constellation::receiver<std::uint64_t>> results;
  std::vector<int> worker_of;  // results[i] is the channel from worker worker_of[i]
  for (int w = 0; w < workers; ++w) {
    const std::uint64_t first = 1 + n * w / workers, last = 1 + n * (w + 1) / workers;
    results.emplace_back(
        constellation::spawn({.mem = 16_MiB, .cpu = 0.25}, sum_of_squares, first, last));
    worker_of.push_back(w);
  }

  // Join: select() returns the first message available on any receiver and its index. A worker
  // sends once, so its receiver is then dropped: selecting on it again would only report that
  // the worker has exited.
  std::uint64_t total = 0;
  while (!results.empty()) {
    auto [index, partial] = constellation::select(std::span(results));
    std::cout << "worker " << worker_of[index] << " (" << results[index].remote() << ") sent "
              << partial << std::endl;
    total += partial;
    results.erase(results.begin() + static_cast<std::ptrdiff_t>(index));
    worker_of.erase(worker_of.begin() + static_cast<std::ptrdiff_t>(index));
  }

  const std::uint64_t expected = n * (n + 1) * (2 * n + 1) / 6;
  std::cout << "sum of i^2 for i in [1, " << n << "] = " << total
            << (total == expected ? "" : " WRONG, expected " + std::to_string(expected))
            << std::endl;
  return total == expected ? 0 : 1;
}
