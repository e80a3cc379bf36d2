// The driver-facing parts of nodes, and what node templates ask the driver.

#include "driver.hpp"

#include <constellation/dataflow/actions.hpp>
#include <constellation/dataflow/node.hpp>

namespace constellation::dataflow::detail {

node_base::node_base(std::shared_ptr<driver> owner, std::size_t partitions)
    : owner_(std::move(owner)), partitions_(partitions) {
  if (!owner_) throw job_error("dataflow: a dataset of a context that has ended");
  id_ = owner_->register_node(this);
}

node_base::~node_base() {
  if (owner_) owner_->forget_node(id_);
}

driver& node_base::owner() const {
  return *owner_;
}

std::optional<origin> node_base::origin_of(std::size_t p) const {
  const auto up = parents();
  if (up.size() == 1) return up.front()->origin_of(p);
  return std::nullopt;
}

std::size_t default_partitions(const driver& d) {
  return d.default_partitions();
}
bool is_cached(const driver& d, std::uint64_t cache, std::size_t partition) {
  return d.is_cached(cache, partition);
}
bool is_cached_at_target(const driver& d, std::uint64_t cache, std::size_t partition) {
  return d.is_cached_at_target(cache, partition);
}
std::uint32_t shuffle_attempt(const driver& d, std::uint64_t shuffle, std::size_t partition) {
  return d.shuffle_attempt(shuffle, partition);
}

void run_action(driver& d, const char* action, const node_base& root,
                std::span<const std::size_t> partitions,
                function_ref<std::string(std::size_t)> make_task,
                function_ref<void(std::size_t, task_result&&)> each) {
  d.run_action(action, root, partitions, make_task, each);
}

std::vector<std::size_t> all_partitions(std::size_t n) {
  std::vector<std::size_t> all(n);
  for (std::size_t i = 0; i < n; ++i) all[i] = i;
  return all;
}

}  // namespace constellation::dataflow::detail
