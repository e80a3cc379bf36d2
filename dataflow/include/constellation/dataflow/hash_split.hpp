#pragma once
// Records split by a hash of their key into buckets on local disk, as a Grace hash join splits its
// inputs: what does not fit in memory at once is cut into parts that each do, processed one after
// another. Each bucket is a run on a spill file of its own (so its disk space goes back as soon as
// the bucket is read); records are encoded into the bucket's frame and written a frame at a time.
//
// The bucket of a key comes from its std::hash mixed with a seed that differs from level to level,
// so that a bucket split again spreads over the next level's buckets, and from the partitioner's
// and the tables' hashes, so that a partition's keys spread over the buckets. Keys whose std::hash
// is equal never separate: a split that goes deep enough stops (see max_level).

#include <constellation/dataflow/codec.hpp>
#include <constellation/dataflow/flat_table.hpp>
#include <constellation/dataflow/spill.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace constellation::dataflow::detail {

class hash_split {
 public:
  static constexpr std::size_t buckets = 16;
  // 16^4 = 65536 parts of a partition; past that, what is left of one is processed in memory
  // (a single key with more values than the budget, or keys whose std::hash is equal).
  static constexpr std::size_t max_level = 4;

  // level: how many splits above this one (0 for the first). Frames are sized so that all
  // buckets' frames together take about frame_budget bytes.
  hash_split(std::size_t level, std::size_t frame_budget)
      : level_(level),
        frame_bytes_(std::clamp<std::size_t>(frame_budget / buckets, 8 << 10, 1 << 20)) {}

  template <class Q>
  std::size_t bucket_of(const Q& key) const {
    const std::uint64_t h = mix_hash(std::hash<Q>{}(key) ^ (0xc2b2ae3d27d4eb4fULL * (level_ + 1)));
    return static_cast<std::size_t>((static_cast<uint128>(h) * buckets) >> 64);
  }

  // The frame of bucket b to encode a record into, then next(b).
  std::string& frame(std::size_t b) { return writer(b).frame(); }
  void next(std::size_t b) { writers_[b]->next(); }

  // Ends the writing; returns the bytes written to disk in all.
  std::uint64_t finish() {
    std::uint64_t written = 0;
    for (std::size_t b = 0; b < buckets; ++b) {
      if (!writers_[b]) continue;
      runs_[b] = writers_[b]->finish();
      writers_[b].reset();
      written += runs_[b]->second - runs_[b]->first;
    }
    return written;
  }

  // Calls each(in) for every frame of bucket b, in the order written, then gives its disk space
  // back. After finish().
  template <class Each>
  void drain(std::size_t b, Each&& each) {
    if (!files_[b]) return;
    run_reader run(*files_[b], *runs_[b]);
    std::string frame;
    while (run.next_frame(frame)) {
      reader in(frame);
      each(in);
    }
    files_[b].reset();
  }

 private:
  run_writer& writer(std::size_t b) {
    if (!writers_[b]) {
      files_[b] = std::make_unique<spill_file>();
      writers_[b] = std::make_unique<run_writer>(*files_[b], frame_bytes_);
    }
    return *writers_[b];
  }

  std::size_t level_;
  std::size_t frame_bytes_;
  std::array<std::unique_ptr<spill_file>, buckets> files_;
  std::array<std::unique_ptr<run_writer>, buckets> writers_;
  std::array<std::optional<std::pair<std::uint64_t, std::uint64_t>>, buckets> runs_;
};

}  // namespace constellation::dataflow::detail
