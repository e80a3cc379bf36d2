#pragma once
// The shuffle blocks a worker owns: written by its receiving thread (and by its own map tasks),
// read by its tasks once every writer of the attempt has said it is done.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include <constellation/dataflow/spill.hpp>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace constellation::dataflow::detail {

class block_store {
 public:
  // Blocks beyond memory_limit bytes are written to a spill file, and read back when visited.
  block_store(std::size_t writers, std::size_t memory_limit)
      : writers_(writers), memory_limit_(memory_limit) {}

  // A newer attempt replaces what an older one left; a block of an older attempt is stale and
  // dropped.
  void add(std::uint64_t shuffle, std::uint32_t attempt, std::uint32_t partition,
           std::string bytes);
  void end(std::uint64_t shuffle, std::uint32_t attempt, std::uint32_t from_slot);
  // The worker in slot died: a read waiting for its end marker fails instead of waiting forever.
  void writer_lost(std::uint32_t slot);
  // A new worker took the slot: its end markers count again from now on.
  void writer_replaced(std::uint32_t slot);
  void drop(std::uint64_t shuffle);

  // Waits until every writer ended the attempt, then calls visit on each block of the partition
  // (with a side, each block whose first byte is that side: a block on disk that is not asked for
  // is not read). Throws std::runtime_error when a writer was lost before it ended, or when
  // abandoned(), asked every second while it waits, says nobody wants the result any more.
  void read(std::uint64_t shuffle, std::uint32_t partition, std::uint32_t attempt,
            std::optional<std::uint8_t> side, const std::function<void(std::string_view)>& visit,
            const std::function<bool()>& abandoned = {});

  // The bytes of the partition's blocks of the attempt, in memory and on disk, so far.
  std::size_t bytes_of(std::uint64_t shuffle, std::uint32_t partition, std::uint32_t attempt) const;

  std::size_t bytes() const;            // held in memory
  std::uint64_t spilled_bytes() const;  // written to disk so far

 private:
  // A block in memory, or on the spill file at offset.
  struct stored_block {
    std::shared_ptr<const std::string> bytes;
    std::uint64_t offset = 0;
    std::size_t size = 0;
    std::uint8_t side = 0;  // the block's first byte
  };
  struct partition_blocks {
    std::uint32_t attempt = 0;
    std::vector<stored_block> blocks;
  };
  void forget(const stored_block& b);  // with the lock held

  const std::size_t writers_;
  const std::size_t memory_limit_;
  std::unique_ptr<spill_file> spill_;  // created at the first block that does not fit
  std::uint64_t spilled_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::pair<std::uint64_t, std::uint32_t>, partition_blocks> partitions_;
  std::map<std::pair<std::uint64_t, std::uint32_t>, std::set<std::uint32_t>> ended_;
  std::set<std::uint32_t> lost_;
  std::size_t bytes_ = 0;
};

}  // namespace constellation::dataflow::detail
