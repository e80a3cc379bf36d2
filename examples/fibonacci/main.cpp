// fib(n) the naive recursive way, with one process per recursive call: the process for fib(n)
// spawns one child for fib(n-1) and one for fib(n-2), receives their results over channels and
// sends the sum to its own parent. Small n are computed directly, so that fib(10) takes a tree of
// 25 processes rather than 177.
//
//   fibonacci [n]      n in 0..16, default 10
#include <constellation/constellation.hpp>

#include <charconv>
#include <cstdint>
#include <iostream>
#include <string>
#include <string_view>

using constellation::pid;
using namespace constellation::literals;

// Below this, spawning costs more than it teaches: compute in place.
constexpr int direct_below = 6;
constexpr int max_n = 16;  // from n = 6 on, fib(n) takes 2 * fib(n - 3) - 1 processes: 465 for 16
constexpr constellation::resources node_resources{.mem = 16_MiB, .cpu = 0.1};

std::uint64_t fib_iterative(int n) {
  std::uint64_t a = 0, b = 1;
  for (int i = 0; i < n; ++i) {
    const std::uint64_t next = a + b;
    a = b;
    b = next;
  }
  return a;
}

void fib_node(pid parent, int n);

// Computes fib(n), spawning the two recursive calls as processes when n is large enough.
// Both children run at once; this process blocks only to receive their results.
std::uint64_t fib(int n) {
  if (n < direct_below) return fib_iterative(n);
  const pid left = constellation::spawn(node_resources, fib_node, n - 1);
  const pid right = constellation::spawn(node_resources, fib_node, n - 2);
  // One receiver per child: a channel is named by the pid at its other end.
  return constellation::receiver<std::uint64_t>(left).recv() +
         constellation::receiver<std::uint64_t>(right).recv();
}

// The body of every process of the tree but the top: compute, report, exit. The message is
// delivered even though this process exits right after sending it.
void fib_node(pid parent, int n) {
  const std::uint64_t result = fib(n);
  std::cout << "fib(" << n << ") = " << result << std::endl;
  constellation::sender<std::uint64_t>(parent).send(result);
}

int main(int argc, char** argv) {
  constellation::init();
  int n = 10;
  if (argc > 1) {
    const std::string_view text = argv[1];
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (error != std::errc{} || end != text.data() + text.size() || n < 0 || n > max_n) {
      std::cerr << "usage: fibonacci [n], with n in 0.." << max_n << std::endl;
      return 2;
    }
  }
  // The top process is the root of the tree: it has no parent to report to, so it prints.
  const std::uint64_t result = fib(n);
  const std::uint64_t expected = fib_iterative(n);
  std::cout << "fib(" << n << ") = " << result
            << (result == expected ? "" : " WRONG, expected " + std::to_string(expected))
            << std::endl;
  return result == expected ? 0 : 1;
}
