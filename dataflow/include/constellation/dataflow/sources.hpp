#pragma once
// Where datasets start (parallelize, range, text_file) and the narrow nodes that are not element
// steps: union and cache.

#include <constellation/dataflow/node.hpp>
#include <constellation/dataflow/text_input.hpp>

#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace constellation::dataflow::detail {

// Partition p of n items cut into `partitions` contiguous slices: [first, last).
inline std::pair<std::uint64_t, std::uint64_t> slice_of(std::uint64_t n, std::size_t partitions,
                                                        std::size_t p) {
  const auto share = [&](std::size_t i) {
    return static_cast<std::uint64_t>((static_cast<uint128>(n) * i) / partitions);
  };
  return {share(p), share(p + 1)};
}

// The driver's vector, cut into contiguous slices; a task carries its slice.
template <class T>
class parallelize_node final : public node<T> {
 public:
  parallelize_node(std::shared_ptr<driver> d, std::shared_ptr<const std::vector<T>> items,
                   std::size_t partitions)
      : node<T>(std::move(d), partitions), items_(std::move(items)) {}

  std::vector<const node_base*> parents() const override { return {}; }
  std::string kind() const override { return "parallelize"; }

  void compute(task_context& tc, std::size_t, batch_sink<T> out) const override {
    // A worker's node holds only its slice; it hands out copies so that compute stays repeatable.
    std::vector<T> batch;
    batch.reserve(std::min(batch_size, items_->size()));
    for (std::size_t at = 0; at < items_->size() && !tc.stop_requested(); at += batch_size) {
      const auto last = std::min(items_->size(), at + batch_size);
      batch.assign(items_->begin() + at, items_->begin() + last);
      tc.count_records_in(batch.size());
      out(std::span<T>(batch));
    }
  }

  bool lends_elements() const override { return true; }
  void compute_view(task_context& tc, std::size_t, view_sink<T> out) const override {
    for (std::size_t at = 0; at < items_->size() && !tc.stop_requested(); at += batch_size) {
      const auto n = std::min(batch_size, items_->size() - at);
      tc.count_records_in(n);
      out(std::span<const T>(items_->data() + at, n));
    }
  }

  void save(std::string& out, std::size_t p) const override {
    save_loader<parallelize_node>(out);
    const auto [first, last] = slice_of(items_->size(), this->partitions(), p);
    put_varint(out, last - first);
    for (auto i = first; i < last; ++i) encode(out, (*items_)[i]);
  }

  static node_ptr<T> load(reader& in) {
    auto slice = std::make_shared<std::vector<T>>(decode<std::vector<T>>(in));
    return std::shared_ptr<parallelize_node>(new parallelize_node(std::move(slice)));
  }

 private:
  explicit parallelize_node(std::shared_ptr<const std::vector<T>> slice)
      : node<T>(1), items_(std::move(slice)) {}
  std::shared_ptr<const std::vector<T>> items_;
};

class range_node final : public node<std::uint64_t> {
 public:
  range_node(std::shared_ptr<driver> d, std::uint64_t begin, std::uint64_t end,
             std::size_t partitions)
      : node(std::move(d), partitions), begin_(begin), end_(std::max(begin, end)) {}

  std::vector<const node_base*> parents() const override { return {}; }
  std::string kind() const override { return "range"; }

  void compute(task_context& tc, std::size_t, batch_sink<std::uint64_t> out) const override {
    std::array<std::uint64_t, batch_size> batch;
    std::size_t n = 0;
    for_each_number(tc, [&](std::uint64_t x) {
      batch[n++] = x;
      if (n == batch_size) out(std::span<std::uint64_t>(batch.data(), std::exchange(n, 0)));
    });
    if (n > 0) out(std::span<std::uint64_t>(batch.data(), n));
  }

  // Calls each(x) for every number of the range, in order, with no batch in between: a chain over
  // a range runs as one loop over the numbers (see fused_node). Stops between batch-sized runs
  // when asked to.
  template <class Each>
  void for_each_number(task_context& tc, Each&& each) const {
    for (std::uint64_t at = begin_; at < end_ && !tc.stop_requested();) {
      const auto last = at + std::min<std::uint64_t>(batch_size, end_ - at);
      tc.count_records_in(static_cast<std::size_t>(last - at));
      for (; at < last; ++at) each(at);
    }
  }

  void save(std::string& out, std::size_t p) const override {
    save_loader<range_node>(out);
    const auto [first, last] = slice_of(end_ - begin_, partitions(), p);
    encode(out, begin_ + first);
    encode(out, begin_ + last);
  }

  static node_ptr<std::uint64_t> load(reader& in) {
    const auto begin = decode<std::uint64_t>(in);
    const auto end = decode<std::uint64_t>(in);
    return std::shared_ptr<range_node>(new range_node(begin, end));
  }

 private:
  range_node(std::uint64_t begin, std::uint64_t end) : node(1), begin_(begin), end_(end) {}
  std::uint64_t begin_, end_;
};

class text_file_node final : public node<std::string> {
 public:
  text_file_node(std::shared_ptr<driver> d, std::vector<std::vector<file_range>> splits)
      : node(std::move(d), splits.size()), splits_(std::move(splits)) {}

  std::vector<const node_base*> parents() const override { return {}; }
  std::string kind() const override { return "text_file"; }

  // Lines are copied into the strings of one batch, batch after batch: a string its consumer
  // only read keeps its room for the next line, so that a line costs no allocation.
  void compute(task_context& tc, std::size_t p, batch_sink<std::string> out) const override {
    std::vector<std::string> lines(batch_size);
    std::size_t n = 0;
    const auto flush = [&] {
      tc.count_records_in(n);
      out(std::span<std::string>(lines.data(), std::exchange(n, 0)));
    };
    (void)p;  // a worker's node holds the ranges of the one partition its task computes
    for (const auto& range : ranges_)
      read_lines(
          range,
          [&](std::string_view line) {
            lines[n++].assign(line);
            if (n == batch_size) flush();
          },
          [&] { return tc.stop_requested(); });
    if (n > 0) flush();
  }

  void save(std::string& out, std::size_t p) const override {
    save_loader<text_file_node>(out);
    put_varint(out, splits_[p].size());
    for (const auto& r : splits_[p]) {
      encode(out, r.path);
      encode(out, r.begin);
      encode(out, r.end);
    }
  }

  static node_ptr<std::string> load(reader& in) {
    std::vector<file_range> ranges(in.varint());
    for (auto& r : ranges) {
      decode(in, r.path);
      decode(in, r.begin);
      decode(in, r.end);
    }
    return std::shared_ptr<text_file_node>(new text_file_node(std::move(ranges)));
  }

 private:
  explicit text_file_node(std::vector<file_range> ranges) : node(1), ranges_(std::move(ranges)) {}
  std::vector<std::vector<file_range>> splits_;  // the driver's: every partition's ranges
  std::vector<file_range> ranges_;               // a worker's: its task's partition
};

// The partitions of a, then those of b.
template <class T>
class union_node final : public node<T> {
 public:
  union_node(node_ptr<T> a, node_ptr<T> b)
      : node<T>(a->owner_ptr(), a->partitions() + b->partitions()),
        a_(std::move(a)),
        b_(std::move(b)) {}

  std::vector<const node_base*> parents() const override { return {a_.get(), b_.get()}; }
  std::string kind() const override { return "union"; }
  std::optional<origin> origin_of(std::size_t p) const override {
    return p < a_->partitions() ? a_->origin_of(p) : b_->origin_of(p - a_->partitions());
  }

  void compute(task_context& tc, std::size_t p, batch_sink<T> out) const override {
    // A worker's union holds the one side partition p reads, as a_, with the side's partition.
    a_->compute(tc, side_partition_, out);
    (void)p;
  }
  bool lends_elements() const override { return a_->lends_elements(); }
  void compute_view(task_context& tc, std::size_t, view_sink<T> out) const override {
    a_->compute_view(tc, side_partition_, out);
  }

  void save(std::string& out, std::size_t p) const override {
    save_loader<union_node>(out);
    const bool first = p < a_->partitions();
    const std::size_t q = first ? p : p - a_->partitions();
    encode(out, std::uint64_t(q));
    (first ? a_ : b_)->save(out, q);
  }

  static node_ptr<T> load(reader& in) {
    const auto q = decode<std::uint64_t>(in);
    auto side = load_node<T>(in);
    return std::shared_ptr<union_node>(new union_node(std::move(side), q));
  }

 private:
  union_node(node_ptr<T> side, std::size_t q)
      : node<T>(1), a_(std::move(side)), side_partition_(q) {}
  node_ptr<T> a_, b_;
  std::size_t side_partition_ = 0;
};

// Partitions computed once, then kept in the worker that computed them.
template <class T>
class cache_node final : public node<T> {
 public:
  explicit cache_node(node_ptr<T> parent)
      : node<T>(parent->owner_ptr(), parent->partitions()), parent_(std::move(parent)) {}

  std::vector<const node_base*> parents() const override { return {parent_.get()}; }
  std::string kind() const override { return "cache"; }
  bool is_cache() const override { return true; }
  std::size_t hash_partitioned() const override { return parent_->hash_partitioned(); }
  std::optional<origin> origin_of(std::size_t p) const override {
    if (is_cached(this->owner(), this->id(), p)) return origin{this, p};
    return parent_->origin_of(p);
  }

  void compute(task_context& tc, std::size_t p, batch_sink<T> out) const override {
    // Consumers may move from a batch: the kept partition must stay whole for the next action.
    std::vector<T> batch;
    for (const auto& chunk : *partition(tc, p))
      for (std::size_t at = 0; at < chunk.size() && !tc.stop_requested(); at += batch_size) {
        batch.assign(chunk.begin() + at, chunk.begin() + std::min(chunk.size(), at + batch_size));
        out(std::span<T>(batch));
      }
  }

  // A consumer that only reads gets the kept elements themselves.
  bool lends_elements() const override { return true; }
  void compute_view(task_context& tc, std::size_t p, view_sink<T> out) const override {
    for (const auto& chunk : *partition(tc, p)) emit_all(std::span<const T>(chunk), out, tc);
  }

  void save(std::string& out, std::size_t p) const override {
    save_loader<cache_node>(out);
    encode(out, this->id());
    const bool present = is_cached_at_target(this->owner(), this->id(), p);
    encode(out, present);
    if (!present) parent_->save(out, p);
  }

  static node_ptr<T> load(reader& in) {
    const auto id = decode<std::uint64_t>(in);
    node_ptr<T> parent;
    if (!decode<bool>(in)) parent = load_node<T>(in);
    return std::shared_ptr<cache_node>(new cache_node(id, std::move(parent)));
  }

 private:
  cache_node(std::uint64_t id, node_ptr<T> parent)
      : node<T>(1), parent_(std::move(parent)), cache_id_(id) {}

  // A kept partition: its elements in chunks of chunk_size (the last one shorter), so that it
  // grows without moving what it holds and is kept without a copy that trims it.
  using chunks = std::vector<std::vector<T>>;
  static constexpr std::size_t chunk_size = 16 * batch_size;

  // Partition p as this worker keeps it, computed (and kept) first if need be. A partition cut
  // short by a stop (take) is never kept.
  std::shared_ptr<const chunks> partition(task_context& tc, std::size_t p) const {
    if (auto kept = std::static_pointer_cast<const chunks>(tc.cached(cache_id_, p))) return kept;
    if (!parent_)
      throw std::runtime_error("cached partition " + std::to_string(p) +
                               " is gone from this worker");
    auto computed = std::make_shared<chunks>();
    std::size_t bytes = 0;
    parent_->compute(tc, p, [&](std::span<T> batch) {
      for (auto& x : batch) {
        if (computed->empty() || computed->back().size() == chunk_size) {
          if (!computed->empty()) bytes += chunk_size * sizeof(T);
          computed->emplace_back().reserve(chunk_size);
        }
        computed->back().push_back(std::move(x));
      }
    });
    if (tc.stop_requested()) return computed;
    if (!computed->empty()) {
      computed->back().shrink_to_fit();  // the last chunk only
      bytes += computed->back().capacity() * sizeof(T);
    }
    tc.keep_cached(cache_id_, p, computed, bytes);
    return computed;
  }

  node_ptr<T> parent_;
  std::uint64_t cache_id_ = this->id();
};

}  // namespace constellation::dataflow::detail
