// Joining with the dataflow layer: a table of users and a table of orders are joined on the user
// id (both sides are shuffled by key into the same partitions), and the amounts are summed per user
// name. Orders of unknown users drop out, as in an inner join. The totals are checked against a
// plain loop over the same tables.
#include <constellation/constellation.hpp>
#include <constellation/dataflow.hpp>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace df = constellation::dataflow;

using user = std::pair<std::uint64_t, std::string>;     // id, name
using order = std::pair<std::uint64_t, std::uint64_t>;  // user id, amount in cents

int main() {
  constellation::init();

  // 500 users (some sharing a name) and 200 000 orders, a few of them by ids that have no user.
  const std::vector<std::string> first_names = {"ada",     "alan",   "grace", "edsger",
                                                "barbara", "donald", "ken"};
  std::vector<user> users;
  for (std::uint64_t id = 0; id < 500; ++id)
    users.emplace_back(id, first_names[id % first_names.size()] + "-" + std::to_string(id / 20));
  std::mt19937_64 random(2024);
  std::vector<order> orders(200'000);
  for (auto& o : orders) o = {random() % 520, 100 + random() % 10'000};

  df::options o;
  o.worker = {.mem = 512 * constellation::MiB, .cpu = 1};
  df::context ctx(o);
  auto totals =
      ctx.parallelize(orders)
          .join(ctx.parallelize(users))  // (id, (amount, name))
          .map([](const std::pair<std::uint64_t, std::pair<std::uint64_t, std::string>>& row) {
            return std::pair(row.second.second, row.second.first);
          })
          .reduce_by_key([](std::uint64_t a, std::uint64_t b) { return a + b; })
          .collect();
  std::sort(totals.begin(), totals.end());

  // The same with one thread: look each order's user up, add to the name's total.
  std::unordered_map<std::uint64_t, std::string> name_of(users.begin(), users.end());
  std::map<std::string, std::uint64_t> expected;
  for (const auto& [id, amount] : orders)
    if (auto found = name_of.find(id); found != name_of.end()) expected[found->second] += amount;

  const auto biggest =
      std::max_element(totals.begin(), totals.end(),
                       [](const auto& a, const auto& b) { return a.second < b.second; });
  if (biggest != totals.end())
    std::cout << totals.size() << " names; the biggest spender " << biggest->first << " spent "
              << biggest->second / 100 << "." << biggest->second % 100 / 10 << biggest->second % 10
              << "\n";
  if (totals !=
      std::vector<std::pair<std::string, std::uint64_t>>(expected.begin(), expected.end())) {
    std::cerr << "join: the totals differ from a plain loop's\n";
    return 1;
  }
}
