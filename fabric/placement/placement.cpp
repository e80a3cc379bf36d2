#include "placement/placement.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace constellation::fabric {

capacity to_capacity(const resources& r) {
  const double scaled = r.cpu * static_cast<double>(micro_cpu_per_core);
  std::int64_t micro_cpu = 0;
  if (!(scaled < 0x1p63)) {  // also NaN
    micro_cpu = std::numeric_limits<std::int64_t>::max();
  } else if (scaled > 0) {
    micro_cpu = std::llround(scaled);
  }
  return {r.mem, micro_cpu};
}

std::size_t placement::add_node(capacity total, bool up) {
  nodes_.push_back({total, {}, up, 0});
  return nodes_.size() - 1;
}

placement::node_usage& placement::node_at(std::size_t node, const char* call) {
  if (node >= nodes_.size()) {
    throw std::out_of_range(std::string("placement::") + call + ": no node " +
                            std::to_string(node) + " (there are " + std::to_string(nodes_.size()) +
                            ")");
  }
  return nodes_[node];
}

void placement::set_up(std::size_t node, bool up) {
  node_at(node, "set_up").up = up;
}

bool placement::has_room(const node_usage& n, const capacity& need) {
  // Written as "need <= total - used" so that a saturated need cannot overflow a sum.
  return need.mem <= n.total.mem - n.used.mem &&
         need.micro_cpu <= n.total.micro_cpu - n.used.micro_cpu;
}

std::size_t placement::first_fit(const capacity& need) const {
  const auto fits = [&](const node_usage& n) { return n.up && has_room(n, need); };
  return static_cast<std::size_t>(std::ranges::find_if(nodes_, fits) - nodes_.begin());
}

bool placement::fits_some_node(const capacity& need) const {
  return std::ranges::any_of(nodes_, [&](const node_usage& n) {
    return need.mem <= n.total.mem && need.micro_cpu <= n.total.micro_cpu;
  });
}

void placement::reserve(std::size_t node, const capacity& need) {
  node_usage& n = nodes_[node];
  n.used.mem += need.mem;
  n.used.micro_cpu += need.micro_cpu;
  ++n.processes;
}

placement::decision placement::request(const resources& r, bool wait) {
  const capacity need = to_capacity(r);
  if (!fits_some_node(need)) return {outcome::never_fits};
  if (waiting_.empty()) {
    if (const std::size_t node = first_fit(need); node < nodes_.size()) {
      reserve(node, need);
      return {outcome::placed, node};
    }
  }
  if (!wait) return {outcome::no_capacity};
  const std::uint64_t ticket = next_ticket_++;
  waiting_.push_back({ticket, need});
  return {outcome::queued, 0, ticket};
}

void placement::release(std::size_t node, const resources& r) {
  node_usage& n = node_at(node, "release");
  const capacity held = to_capacity(r);
  if (n.processes == 0 || held.mem > n.used.mem || held.micro_cpu > n.used.micro_cpu) {
    throw std::logic_error("placement::release: node " + std::to_string(node) + " holds " +
                           std::to_string(n.processes) + " processes using " +
                           format_bytes(n.used.mem) + " and " + std::to_string(n.used.micro_cpu) +
                           " micro-cores, less than the " + to_string(r) + " released");
  }
  n.used.mem -= held.mem;
  n.used.micro_cpu -= held.micro_cpu;
  --n.processes;
}

std::vector<placement::admission> placement::admit_waiting() {
  std::vector<admission> admitted;
  while (!waiting_.empty()) {
    const waiter& head = waiting_.front();
    const std::size_t node = first_fit(head.need);
    if (node == nodes_.size()) break;
    reserve(node, head.need);
    admitted.push_back({head.ticket, node});
    waiting_.pop_front();
  }
  return admitted;
}

bool placement::cancel(std::uint64_t ticket) {
  const auto it = std::ranges::find(waiting_, ticket, &waiter::ticket);
  if (it == waiting_.end()) return false;
  waiting_.erase(it);
  return true;
}

}  // namespace constellation::fabric
