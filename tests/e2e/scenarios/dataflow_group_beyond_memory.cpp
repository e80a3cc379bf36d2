// A group_by_key of several times more distinct keys than the workers' memory budget holds, under
// enforced memory limits: each reduce side's table outgrows its share of the budget, writes its
// groups to buckets on disk split by a second hash of their key, and gathers them bucket by bucket
// (splitting a bucket again when it outgrows the share in its turn). No worker is killed (the
// expectation says every worker ends with status 0) and every group comes out whole.
//
// Under AddressSanitizer the limits measure the sanitizer more than the program: the budget is
// larger and the data smaller there, so the groups still go to disk but are no longer several
// times over.
#include "dataflow/checks.hpp"
#include "scenario.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace df = constellation::dataflow;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr std::uint64_t budget = 256 * constellation::MiB;
constexpr std::uint64_t records = 600'000;
#else
constexpr std::uint64_t budget = 96 * constellation::MiB;
constexpr std::uint64_t records = 4'500'000;
#endif
constexpr std::uint64_t keys = records / 3;  // three values a key

std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 31;
  x *= 0x9e3779b97f4a7c15ULL;
  return x ^ (x >> 29);
}

// Record i: key i % keys, and a value that names i (so that a group can check its values belong
// to it), long enough to live on the heap.
std::pair<std::uint64_t, std::string> record(const std::uint64_t& i) {
  std::string value = std::to_string(i);
  value.resize(40, '.');
  return {i % keys, std::move(value)};
}

// Per group: (groups, values, values that name another key, sum of mix(i) over its values).
using summary = std::array<std::uint64_t, 4>;

summary summarize(const std::pair<std::uint64_t, std::vector<std::string>>& group) {
  summary s{1, group.second.size(), 0, 0};
  for (const auto& value : group.second) {
    const std::uint64_t i = std::stoull(value.substr(0, value.find('.')));
    s[2] += i % keys != group.first;
    s[3] += mix(i);
  }
  return s;
}

summary add(const summary& a, const summary& b) {
  return {a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]};
}

}  // namespace

CONSTELLATION_SCENARIO(dataflow_group_beyond_memory) {
  e2e::dataflow::tally t;
  auto options = e2e::dataflow::small_workers();
  options.worker = {.mem = budget, .cpu = 0.5};
  df::context ctx(options);
  const auto got = ctx.range(0, records)
                       .map(record)
                       .group_by_key()
                       .map(summarize)
                       .reduce(add)
                       .value_or(summary{});

  std::uint64_t checksum = 0;
  for (std::uint64_t i = 0; i < records; ++i) checksum += mix(i);
  t.check("every key is one group", got[0] == keys);
  t.check("every value is in a group", got[1] == records);
  t.check("every value is in its own key's group", got[2] == 0);
  t.check("the values are the records'", got[3] == checksum);
  return t.verdict();
}
