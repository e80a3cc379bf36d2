// Coverage for libFuzzer from GCC's instrumentation. GCC's -fsanitize-coverage=trace-pc calls
// __sanitizer_cov_trace_pc at every basic block; the libFuzzer of clang 14 no longer counts those
// calls (its own hook only prints that trace-pc is unsupported), so the build weakens that hook and
// this file supplies the real one. It counts edges as AFL does, the block hashed with the one
// before it, in a table registered as libFuzzer's "inline 8-bit counters". Integer comparisons need
// no help: GCC's trace-cmp calls the __sanitizer_cov_trace_cmp* hooks libFuzzer implements; GCC's
// hooks for floating-point comparisons, which clang has not, are accepted and ignored.

#include <cstddef>
#include <cstdint>

extern "C" void __sanitizer_cov_8bit_counters_init(std::uint8_t* begin, std::uint8_t* end);

namespace {

// 64 Ki edges: more than the codecs under test have, so collisions stay rare, and small enough
// for libFuzzer to scan after every run.
constexpr std::size_t edge_count = std::size_t{1} << 16;
alignas(64) std::uint8_t edge_hits[edge_count];
thread_local std::uintptr_t previous_block = 0;

[[gnu::constructor]] void register_edge_counters() {
  __sanitizer_cov_8bit_counters_init(edge_hits, edge_hits + edge_count);
}

}  // namespace

// Not instrumented itself (it would call itself) and not sanitized (it runs at every block).
extern "C" [[gnu::no_sanitize_coverage, gnu::no_sanitize("address", "undefined")]] void
__sanitizer_cov_trace_pc() {
  auto block = reinterpret_cast<std::uintptr_t>(__builtin_return_address(0));
  block = (block ^ (block >> 16)) & (edge_count - 1);
  ++edge_hits[block ^ previous_block];
  // Shifted so that A -> B and B -> A count as different edges, and a block's edge to itself too.
  previous_block = block >> 1;
}

extern "C" [[gnu::no_sanitize_coverage]] void __sanitizer_cov_trace_cmpf(float, float) {}
extern "C" [[gnu::no_sanitize_coverage]] void __sanitizer_cov_trace_cmpd(double, double) {}
