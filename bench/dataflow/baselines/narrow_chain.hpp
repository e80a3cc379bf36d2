#pragma once
// The ten narrow steps by hand: one loop over 0..n-1 doing all of them, summing what survives.

#include "../common/narrow_chain.hpp"

#include <cstdint>

namespace bench::dataflow::baseline {

inline std::uint64_t narrow_chain(std::uint64_t n) {
  using namespace chain;
  std::uint64_t sum = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    u64 x = step1(i);
    if (!keep2(x)) continue;
    x = step4(step3(x));
    if (!keep5(x)) continue;
    x = step7(step6(x));
    if (!keep8(x)) continue;
    sum += step10(step9(x));
  }
  return sum;
}

}  // namespace bench::dataflow::baseline
