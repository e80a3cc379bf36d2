#include "cluster/repeat_limiter.hpp"

namespace constellation::cluster {

repeat_limiter::verdict repeat_limiter::occurred(const std::string& key, clock::time_point now) {
  auto found = entries_.find(key);
  if (found == entries_.end()) {
    if (entries_.size() >= max_keys_) forget_quiet(now);
    entries_.emplace(key, entry{now, 0});
    return {true, 0};
  }
  auto& e = found->second;
  if (now - e.last_logged < interval_) {
    ++e.held_back;
    return {false, 0};
  }
  const verdict v{true, e.held_back};
  e = entry{now, 0};
  return v;
}

std::string repeat_limiter::note(const verdict& v) {
  if (v.held_back == 0) return {};
  return " (and " + std::to_string(v.held_back) + " more like it since the last such line)";
}

void repeat_limiter::forget_quiet(clock::time_point now) {
  // A key quiet for an interval would be logged at its next occurrence anyway; only its count of
  // held-back occurrences is lost, which is the price of bounded memory.
  std::erase_if(entries_,
                [&](const auto& item) { return now - item.second.last_logged >= interval_; });
  // Still full (a flood of distinct keys within one interval): start afresh rather than grow.
  if (entries_.size() >= max_keys_) entries_.clear();
}

}  // namespace constellation::cluster
