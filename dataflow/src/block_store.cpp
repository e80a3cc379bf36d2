#include "block_store.hpp"

#include <chrono>
#include <stdexcept>

namespace constellation::dataflow::detail {

void block_store::forget(const stored_block& b) {
  if (b.bytes)
    bytes_ -= b.size;
  else
    spill_->release(b.offset, b.size);  // storage is released as soon as nobody can read it
}

void block_store::add(std::uint64_t shuffle, std::uint32_t attempt, std::uint32_t partition,
                      std::string bytes) {
  std::unique_lock lock(mutex_);
  {
    auto& p = partitions_[{shuffle, partition}];
    if (attempt < p.attempt) return;
    if (attempt > p.attempt) {
      for (const auto& b : p.blocks) forget(b);
      p.blocks.clear();
      p.attempt = attempt;
    }
  }
  stored_block block;
  block.size = bytes.size();
  block.side = bytes.empty() ? 0 : static_cast<std::uint8_t>(bytes.front());
  if (bytes_ + bytes.size() <= memory_limit_) {
    bytes_ += bytes.size();
    block.bytes = std::make_shared<const std::string>(std::move(bytes));
  } else {
    // Written by the receiving thread, so the disk works while the worker's task computes.
    if (!spill_) spill_ = std::make_unique<spill_file>();
    lock.unlock();
    block.offset = spill_->append(bytes);
    lock.lock();
    spilled_ += block.size;
  }
  auto& p = partitions_[{shuffle, partition}];
  if (attempt < p.attempt) {  // superseded while it was written
    forget(block);
    return;
  }
  p.blocks.push_back(std::move(block));
}

void block_store::end(std::uint64_t shuffle, std::uint32_t attempt, std::uint32_t from_slot) {
  std::lock_guard lock(mutex_);
  ended_[{shuffle, attempt}].insert(from_slot);
  changed_.notify_all();
}

void block_store::writer_lost(std::uint32_t slot) {
  std::lock_guard lock(mutex_);
  lost_.insert(slot);
  changed_.notify_all();
}

void block_store::writer_replaced(std::uint32_t slot) {
  std::lock_guard lock(mutex_);
  lost_.erase(slot);
}

void block_store::drop(std::uint64_t shuffle) {
  std::lock_guard lock(mutex_);
  for (auto it = partitions_.lower_bound({shuffle, 0});
       it != partitions_.end() && it->first.first == shuffle;) {
    for (const auto& b : it->second.blocks) forget(b);
    it = partitions_.erase(it);
  }
  for (auto it = ended_.lower_bound({shuffle, 0});
       it != ended_.end() && it->first.first == shuffle;)
    it = ended_.erase(it);
}

void block_store::read(std::uint64_t shuffle, std::uint32_t partition, std::uint32_t attempt,
                       std::optional<std::uint8_t> side,
                       const std::function<void(std::string_view)>& visit,
                       const std::function<bool()>& abandoned) {
  std::unique_lock lock(mutex_);
  for (;;) {
    const auto& ended = ended_[{shuffle, attempt}];
    if (ended.size() >= writers_) break;
    for (auto slot : lost_)
      if (!ended.contains(slot))
        throw std::runtime_error("the worker in slot " + std::to_string(slot) +
                                 " was lost before it finished writing shuffle " +
                                 std::to_string(shuffle));
    if (changed_.wait_for(lock, std::chrono::seconds(1)) == std::cv_status::timeout && abandoned) {
      lock.unlock();
      const bool gone = abandoned();
      lock.lock();
      if (gone)
        throw std::runtime_error("the job's driver is gone while this task waited for shuffle " +
                                 std::to_string(shuffle));
    }
  }
  auto found = partitions_.find({shuffle, partition});
  if (found == partitions_.end() || found->second.attempt < attempt)
    return;  // nothing was written to it
  if (found->second.attempt > attempt)
    throw std::runtime_error("shuffle " + std::to_string(shuffle) + " partition " +
                             std::to_string(partition) +
                             " was rewritten since this task was planned");
  // Visit without the lock, so that the receiving thread goes on meanwhile; blocks in memory stay
  // alive through their shared pointers even if a drop or a newer attempt replaces them. A drop
  // cannot release spilled blocks under a running read: the driver drops only between actions.
  const auto blocks = found->second.blocks;
  lock.unlock();
  std::string loaded;
  for (const auto& b : blocks) {
    if (side && b.side != *side) continue;
    if (b.bytes) {
      visit(*b.bytes);
    } else {
      spill_->read(b.offset, b.size, loaded);
      visit(loaded);
    }
  }
}

std::size_t block_store::bytes_of(std::uint64_t shuffle, std::uint32_t partition,
                                  std::uint32_t attempt) const {
  std::lock_guard lock(mutex_);
  auto found = partitions_.find({shuffle, partition});
  if (found == partitions_.end() || found->second.attempt != attempt) return 0;
  std::size_t total = 0;
  for (const auto& b : found->second.blocks) total += b.size;
  return total;
}

std::size_t block_store::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

std::uint64_t block_store::spilled_bytes() const {
  std::lock_guard lock(mutex_);
  return spilled_;
}

}  // namespace constellation::dataflow::detail
