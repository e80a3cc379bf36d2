#include "cluster/cache_pruning_policy.hpp"

#include <algorithm>
#include <tuple>

namespace constellation::cluster {

std::vector<cache_pruning_policy::eviction> cache_pruning_policy::choose(
    std::vector<entry> entries, clock::time_point now) const {
  std::sort(entries.begin(), entries.end(), [](const entry& a, const entry& b) {
    return std::tie(a.last_used, a.id) < std::tie(b.last_used, b.id);
  });
  std::uint64_t total = 0;
  for (const auto& e : entries) total += e.bytes;

  std::vector<eviction> chosen;
  std::vector<bool> taken(entries.size(), false);
  const auto take = [&](std::size_t i, reason why) {
    taken[i] = true;
    total -= entries[i].bytes;
    chosen.push_back({entries[i], why});
  };
  if (bounds_.max_age)
    for (std::size_t i = 0; i < entries.size(); ++i)
      if (!entries[i].in_use && now - entries[i].last_used > *bounds_.max_age)
        take(i, reason::unused_too_long);
  if (bounds_.max_bytes)
    for (std::size_t i = 0; i < entries.size() && total > *bounds_.max_bytes; ++i)
      if (!entries[i].in_use && !taken[i]) take(i, reason::over_size);
  return chosen;
}

}  // namespace constellation::cluster
