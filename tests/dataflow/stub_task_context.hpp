#pragma once
// A test double of the worker's task_context: shuffle blocks, caches and results stay in memory,
// so that nodes compute in the test's own process.

#include <constellation/dataflow/node.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace dataflow_test {

class stub_task_context final : public constellation::dataflow::detail::task_context {
 public:
  bool stop_requested() const override { return stop_; }
  void request_stop() override { stop_ = true; }
  std::size_t workers() const override { return 1; }
  std::size_t memory_budget() const override { return budget; }

  void push_block(std::uint64_t, std::uint32_t, std::uint32_t partition,
                  std::string&& bytes) override {
    blocks[partition].push_back(std::move(bytes));
  }
  void read_blocks(
      std::uint64_t, std::uint32_t partition, std::uint32_t, std::optional<std::uint8_t> side,
      constellation::dataflow::detail::function_ref<void(std::string_view)> visit) override {
    for (const auto& b : blocks[partition])
      if (!side || static_cast<std::uint8_t>(b.front()) == *side) visit(b);
  }

  std::size_t block_bytes(std::uint64_t, std::uint32_t partition, std::uint32_t) override {
    std::size_t total = 0;
    for (const auto& b : blocks[partition]) total += b.size();
    return total;
  }

  std::shared_ptr<const void> cached(std::uint64_t cache, std::uint32_t partition) override {
    auto found = kept_.find({cache, partition});
    return found == kept_.end() ? nullptr : found->second;
  }
  void keep_cached(std::uint64_t cache, std::uint32_t partition, std::shared_ptr<const void> data,
                   std::size_t) override {
    kept_[{cache, partition}] = std::move(data);
  }

  void emit_result(std::string_view bytes) override { results.emplace_back(bytes); }
  void count_records_in(std::size_t n) override { records_in += n; }
  void count_spilled(std::size_t bytes) override { spilled += bytes; }

  std::map<std::uint32_t, std::vector<std::string>> blocks;  // pushed, by partition
  std::vector<std::string> results;
  std::size_t records_in = 0;
  std::size_t budget = 64u << 20;
  std::size_t spilled = 0;

 private:
  bool stop_ = false;
  std::map<std::pair<std::uint64_t, std::uint32_t>, std::shared_ptr<const void>> kept_;
};

}  // namespace dataflow_test
