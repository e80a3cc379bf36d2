#pragma once
// What every wide operation shares: each is a shuffle. Its map stage reads the parents' partitions
// and pushes every element, in blocks of a few hundred KiB, straight to the worker that owns the
// element's output partition; that worker keeps the blocks, and the node's compute() turns them
// into the output partition (merging, grouping, joining or sorting). The driver sees none of the
// data. The keyed operations are in aggregations.hpp and join.hpp, sort in sort.hpp.

#include <constellation/dataflow/flat_table.hpp>
#include <constellation/dataflow/node.hpp>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace constellation::dataflow::detail {

// Maps a mixed hash to [0, n) without a division.
inline std::size_t scale_to(std::uint64_t h, std::size_t n) {
  return static_cast<std::size_t>((static_cast<uint128>(h) * n) >> 64);
}
template <class K>
std::size_t hash_partition(const K& key, std::size_t partitions) {
  return scale_to(mix_hash(std::hash<K>{}(key)), partitions);
}

// Encodes elements into one block per output partition and sends a block when it is full.
class block_writer {
 public:
  block_writer(task_context& tc, std::uint64_t shuffle, const write_target& target,
               std::size_t partitions, std::uint8_t side = 0)
      : tc_(tc),
        shuffle_(shuffle),
        target_(target),
        side_(side),
        blocks_(partitions),
        filled_(partitions, 0),
        block_bytes_(
            std::clamp<std::size_t>(tc.memory_budget() / 16 / std::max<std::size_t>(partitions, 1),
                                    16 * 1024, 256 * 1024)) {}

  template <class T>
  void add(std::size_t partition, const T& value) {
    if (!target_.wanted(partition)) return;
    auto& block = blocks_[partition];
    if constexpr (raw_encoding<T>) {
      // A number or a pair of numbers is copied into room the block was given when it started:
      // std::string::append is a call into the library (and memmove) per element, which showed
      // in profiles of shuffles of pairs.
      auto& filled = filled_[partition];
      if (block.empty()) {
        block.resize(block_bytes_ + sizeof(T));
        block[0] = static_cast<char>(side_);
        filled = 1;
      }
      std::memcpy(block.data() + filled, &value, sizeof(T));
      filled += sizeof(T);
      if (filled >= block_bytes_) send(partition);
    } else {
      if (block.empty()) {
        block.reserve(block_bytes_ + block_bytes_ / 8);
        block.push_back(static_cast<char>(side_));
      }
      encode(block, value);
      if (block.size() >= block_bytes_) send(partition);
    }
  }

  void finish() {
    for (std::size_t r = 0; r < blocks_.size(); ++r)
      if (!blocks_[r].empty()) send(r);
  }

 private:
  void send(std::size_t partition) {
    auto& block = blocks_[partition];
    if (filled_[partition] != 0) block.resize(std::exchange(filled_[partition], 0));
    tc_.push_block(shuffle_, target_.attempt, static_cast<std::uint32_t>(partition),
                   std::move(block));
    block = std::string();
  }

  task_context& tc_;
  std::uint64_t shuffle_;
  const write_target& target_;
  std::uint8_t side_;
  std::vector<std::string> blocks_;
  // Per partition, the bytes written of a block of raw-encoded elements (sized ahead); 0 for a
  // block that grows as it is written.
  std::vector<std::size_t> filled_;
  std::size_t block_bytes_;
};

// Calls read(in) for every element of the blocks of a shuffle's partition (of one side, or of
// both), where read decodes one element from in.
template <class Read>
void read_encoded(task_context& tc, std::uint64_t shuffle, std::size_t partition,
                  std::uint32_t attempt, std::optional<std::uint8_t> side, Read&& read) {
  tc.read_blocks(shuffle, static_cast<std::uint32_t>(partition), attempt, side,
                 [&](std::string_view block) {
                   reader in(block);
                   in.take(1);  // the side
                   std::size_t n = 0;
                   while (!in.done()) {
                     read(in);
                     ++n;
                   }
                   tc.count_records_in(n);
                 });
}

// Calls each(element) for every element of the blocks of a shuffle's partition.
template <class T, class Each>
void read_elements(task_context& tc, std::uint64_t shuffle, std::size_t partition,
                   std::uint32_t attempt, Each&& each) {
  read_encoded(tc, shuffle, partition, attempt, std::nullopt,
               [&](reader& in) { each(decode<T>(in)); });
}

// What every shuffle shares: the output side (which attempt of which partition a worker reads)
// and the map task's frame (entry, shuffle id, target).
template <class Out, class Self>
class shuffle_node : public node<Out>, public wide_base {
 public:
  shuffle_node(std::shared_ptr<driver> d, std::size_t partitions)
      : node<Out>(std::move(d), partitions) {}

  const wide_base* wide() const override { return this; }
  // Partition p is read where its blocks were sent: by the worker that owns p.
  std::optional<origin> origin_of(std::size_t p) const override { return origin{this, p}; }
  // Every keyed shuffle routes by hash_partition over its partitions (sort overrides this).
  std::size_t hash_partitioned() const override { return this->partitions(); }

  void save(std::string& out, std::size_t r) const override {
    save_loader<Self>(out);
    encode(out, this->id());
    encode(out, shuffle_attempt(this->owner(), this->id(), r));
    static_cast<const Self*>(this)->save_config(out);
  }

  static node_ptr<Out> load(reader& in) {
    std::shared_ptr<Self> self(new Self());
    decode(in, self->shuffle_);
    decode(in, self->attempt_);
    self->load_config(in);
    return self;
  }

  std::string map_task(std::size_t task, const write_target& target) const override {
    std::string out;
    encode(out, entry_ref<&Self::map>());
    encode(out, this->id());
    encode(out, std::uint64_t(this->partitions()));
    target.save(out);
    static_cast<const Self*>(this)->save_config(out);
    static_cast<const Self*>(this)->save_map_input(out, task);
    return out;
  }

 protected:
  shuffle_node() : node<Out>(1) {}

  // The frame of a map task, as map_task() wrote it.
  struct map_frame {
    std::uint64_t shuffle = 0;
    std::size_t partitions = 0;
    write_target target;
  };
  static std::pair<map_frame, std::shared_ptr<Self>> load_map_frame(reader& in) {
    map_frame frame;
    decode(in, frame.shuffle);
    frame.partitions = decode<std::uint64_t>(in);
    frame.target.load(in);
    std::shared_ptr<Self> self(new Self());
    self->load_config(in);
    return {std::move(frame), std::move(self)};
  }

  template <class T, class Each>
  void read(task_context& tc, std::size_t r, Each&& each) const {
    read_elements<T>(tc, shuffle_, r, attempt_, std::forward<Each>(each));
  }
  template <class Read>
  void read_encoded(task_context& tc, std::size_t r, std::optional<std::uint8_t> side,
                    Read&& read) const {
    detail::read_encoded(tc, shuffle_, r, attempt_, side, std::forward<Read>(read));
  }
  // Calls read(in) for every block of partition r, in at the block's first element; read counts
  // the records it reads. first(bytes) is called before, with the bytes of all the blocks.
  template <class First, class Read>
  void read_blocks(task_context& tc, std::size_t r, First&& first, Read&& read) const {
    bool started = false;
    tc.read_blocks(shuffle_, static_cast<std::uint32_t>(r), attempt_, std::nullopt,
                   [&](std::string_view block) {
                     if (!started)
                       first(tc.block_bytes(shuffle_, static_cast<std::uint32_t>(r), attempt_));
                     started = true;
                     reader in(block);
                     in.take(1);  // the side
                     read(in);
                   });
  }

  std::uint64_t shuffle_ = this->id();
  std::uint32_t attempt_ = 0;
};

// The one-parent map side: compute the parent's partition and hand each element to write().
template <class In, class Out, class Self>
class unary_shuffle : public shuffle_node<Out, Self> {
 public:
  unary_shuffle(node_ptr<In> parent, std::size_t partitions)
      : shuffle_node<Out, Self>(parent->owner_ptr(), partitions), parent_(std::move(parent)) {}

  std::vector<const node_base*> parents() const override { return {parent_.get()}; }
  std::size_t map_tasks() const override { return parent_->partitions(); }
  std::optional<origin> map_origin(std::size_t task) const override {
    return parent_->origin_of(task);
  }
  void save_map_input(std::string& out, std::size_t task) const { parent_->save(out, task); }

  static void map(task_context& tc, reader& in, std::uint32_t task) {
    auto [frame, self] = Self::load_map_frame(in);
    auto parent = load_node<In>(in);
    self->write(tc, *parent, task, frame);
  }

 protected:
  unary_shuffle() = default;
  node_ptr<In> parent_;
};

// Round robin from a place that differs per map task, so that n outputs fill evenly.
template <class T>
class repartition_node final : public unary_shuffle<T, T, repartition_node<T>> {
  using base = unary_shuffle<T, T, repartition_node>;
  friend base;
  friend shuffle_node<T, repartition_node>;
  using map_frame_t = typename shuffle_node<T, repartition_node>::map_frame;

 public:
  repartition_node(node_ptr<T> parent, std::size_t partitions)
      : base(std::move(parent), partitions) {}
  std::string kind() const override { return "repartition"; }
  std::size_t hash_partitioned() const override { return 0; }  // not by a key
  void save_config(std::string&) const {}
  void load_config(reader&) {}

  void write(task_context& tc, const node<T>& parent, std::size_t task,
             const map_frame_t& frame) const {
    block_writer out(tc, frame.shuffle, frame.target, frame.partitions);
    std::size_t next = scale_to(mix_hash(task), frame.partitions);
    parent.compute_view(tc, task, [&](std::span<const T> batch) {
      for (const auto& x : batch) {
        out.add(next, x);
        if (++next == frame.partitions) next = 0;
      }
    });
    out.finish();
  }

  void compute(task_context& tc, std::size_t r, batch_sink<T> sink) const override {
    batch_buffer<T> out(sink);
    this->template read<T>(tc, r, [&](T&& x) { out.push(std::move(x)); });
    out.flush();
  }

 private:
  repartition_node() = default;
};

}  // namespace constellation::dataflow::detail
