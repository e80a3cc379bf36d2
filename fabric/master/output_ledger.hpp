#pragma once
// A job's output forwarded to its bridge and not yet credited by it, in the order forwarded:
// which node it came from and how many bytes (runs from one node merged), so that the bridge's
// credit goes back to the nodes it belongs to (wire/cluster_messages.hpp, "Flow control").

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <utility>

namespace constellation::fabric {

class output_ledger {
 public:
  // bytes from node went to the bridge.
  void forwarded(std::size_t node, std::uint64_t bytes) {
    if (!held_.empty() && held_.back().first == node)
      held_.back().second += bytes;
    else
      held_.emplace_back(node, bytes);
  }

  // The bridge credited bytes: give(node, part) for each node's part, oldest first. Credit beyond
  // what was forwarded is dropped.
  template <class Give>
  void credit(std::uint64_t bytes, Give give) {
    while (bytes > 0 && !held_.empty()) {
      auto& [node, held] = held_.front();
      const auto part = std::min(bytes, held);
      give(node, part);
      bytes -= part;
      held -= part;
      if (held == 0) held_.pop_front();
    }
  }

  // The bridge will never credit what it holds (it is gone): give(node, bytes) for all of it.
  template <class Give>
  void release(Give give) {
    for (auto& [node, bytes] : std::exchange(held_, {})) give(node, bytes);
  }

 private:
  std::deque<std::pair<std::size_t, std::uint64_t>> held_;
};

}  // namespace constellation::fabric
