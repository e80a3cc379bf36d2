// Ten children at once each send their index to the parent, which gathers the ten with select()
// in whatever order they come and checks the set.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <iostream>
#include <set>
#include <span>
#include <vector>

namespace {

void child(constellation::pid parent, int index) {
  constellation::sender<int> to_parent(parent);
  to_parent.send(index);
}

}  // namespace

CONSTELLATION_SCENARIO(channel_a_ten_children) {
  std::vector<constellation::pid> children;
  for (int i = 0; i < 10; ++i) children.push_back(constellation::spawn({}, child, i));
  std::vector<constellation::receiver<int>> from;
  for (const auto& c : children) from.emplace_back(c);
  std::multiset<int> got;
  while (!from.empty()) {
    auto [index, value] = constellation::select(std::span<constellation::receiver<int>>(from));
    got.insert(value);
    from.erase(from.begin() + static_cast<std::ptrdiff_t>(index));
  }
  std::cout << "got " << got.size() << " values:";
  for (int v : got) std::cout << ' ' << v;
  std::cout << std::endl;
  const std::multiset<int> expected{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::cout << (got == expected ? "the set is 0..9" : "the set is wrong") << std::endl;
  return got == expected ? 0 : 1;
}
