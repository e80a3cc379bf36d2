// Fusion of narrow operations: ten maps and filters in a row against the loop that does all ten
// at once, in one thread (the 1-worker row is the comparison of the issue, target 1.05x; other
// worker counts are for information). A second row compares the ten operations with the same work
// in one flat_map in the framework, which isolates what the chain itself costs.

#include "../baselines/narrow_chain.hpp"
#include "workloads.hpp"

namespace bench::dataflow {

namespace {

inline constexpr double fusion_target = 1.05;

using chain::u64;

u64 ten_operations(df::context& ctx, std::uint64_t n) {
  return ctx.range(0, n)
      .map([](const u64& x) { return chain::step1(x); })
      .filter([](const u64& x) { return chain::keep2(x); })
      .map([](const u64& x) { return chain::step3(x); })
      .map([](const u64& x) { return chain::step4(x); })
      .filter([](const u64& x) { return chain::keep5(x); })
      .map([](const u64& x) { return chain::step6(x); })
      .map([](const u64& x) { return chain::step7(x); })
      .filter([](const u64& x) { return chain::keep8(x); })
      .map([](const u64& x) { return chain::step9(x); })
      .map([](const u64& x) { return chain::step10(x); })
      .reduce([](const u64& x, const u64& y) { return chain::add(x, y); })
      .value_or(0);
}

u64 one_operation(df::context& ctx, std::uint64_t n) {
  return ctx.range(0, n)
      .flat_map<u64>([](const u64& i, auto& emit) {
        using namespace chain;
        u64 x = step1(i);
        if (!keep2(x)) return;
        x = step4(step3(x));
        if (!keep5(x)) return;
        x = step7(step6(x));
        if (keep8(x)) emit(step10(step9(x)));
      })
      .reduce([](const u64& x, const u64& y) { return chain::add(x, y); })
      .value_or(0);
}

}  // namespace

void run_narrow_chain(const workload_args& a) {
  const std::uint64_t n = a.sizes.chain_values;
  u64 expected = 0;
  const double loop_s = time_it([&] { return baseline::narrow_chain(n); }, expected);
  for (const std::size_t workers : a.workers) {
    df::context ctx(context_options(workers));
    u64 chained = 0, fused = 0;
    const double chain_s = time_it([&] { return ten_operations(ctx, n); }, chained);
    const double one_s = time_it([&] { return one_operation(ctx, n); }, fused);
    if (!a.out.check("narrow_chain", chained == expected && fused == expected,
                     "sums " + std::to_string(chained) + " (ten operations) and " +
                         std::to_string(fused) + " (one), expected " + std::to_string(expected)))
      continue;
    a.out.row("narrow_chain", workers, chain_s, loop_s, workers == 1 ? fusion_target : 0);
    a.out.row("narrow_chain_vs_1op", workers, chain_s, one_s, fusion_target);
  }
}

}  // namespace bench::dataflow
