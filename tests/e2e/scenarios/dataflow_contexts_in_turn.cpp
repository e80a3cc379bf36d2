// Several contexts one after another in one program, with different worker counts: each starts its
// own workers, and ends them (status 0) when it goes.
#include "dataflow/checks.hpp"
#include "scenario.hpp"

namespace df = constellation::dataflow;

CONSTELLATION_SCENARIO(dataflow_contexts_in_turn) {
  e2e::dataflow::tally t;
  for (int round = 0; round < 3; ++round) {
    for (std::size_t workers : {2u, 1u}) {
      df::context ctx(e2e::dataflow::small_workers(workers));
      const auto got = ctx.parallelize(std::vector<int>{1, 2, 3, 4})
                           .map([](const int& x) { return x * x; })
                           .collect();
      t.check("round " + std::to_string(round) + " with " + std::to_string(workers) + " workers",
              got == std::vector<int>{1, 4, 9, 16});
    }
  }
  return t.verdict();
}
