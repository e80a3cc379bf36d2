#pragma once
// A source node over a vector held in the test, cut into contiguous slices like parallelize, and
// handed out in small batches so that chains see batch boundaries. Registered with a driver that
// never starts workers: nodes of a driver are what dataset handles and wide nodes are built on.

#include "driver.hpp"

#include <constellation/dataflow/sources.hpp>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <vector>

namespace dataflow_test {

namespace detail = constellation::dataflow::detail;

// A driver that is never started: it numbers nodes, and spawns nothing.
inline std::shared_ptr<detail::driver> idle_driver() {
  return std::make_shared<detail::driver>(constellation::dataflow::options{});
}

template <class T>
class vector_node final : public detail::node<T> {
 public:
  vector_node(std::shared_ptr<detail::driver> d, std::vector<T> items, std::size_t partitions,
              std::size_t batch = 3)
      : detail::node<T>(std::move(d), partitions), items_(std::move(items)), batch_(batch) {}

  std::vector<const detail::node_base*> parents() const override { return {}; }
  std::string kind() const override { return "vector"; }

  void compute(detail::task_context& tc, std::size_t p, detail::batch_sink<T> out) const override {
    const auto [first, last] = detail::slice_of(items_.size(), this->partitions(), p);
    std::vector<T> batch;
    for (auto at = first; at < last; at += batch_) {
      batch.assign(items_.begin() + at, items_.begin() + std::min(last, at + batch_));
      tc.count_records_in(batch.size());
      out(std::span<T>(batch));
    }
  }
  void save(std::string&, std::size_t) const override {
    throw std::logic_error("vector_node lives in the test only");
  }

 private:
  std::vector<T> items_;
  std::size_t batch_;
};

}  // namespace dataflow_test
