#pragma once
// The lineage graph. A node is one step of a computation over partitions; a dataset handle points
// at one. The driver plans stages over nodes (node_base); a worker rebuilds the nodes a task needs
// from bytes and asks the last one to compute a partition (node<T>).
//
// Elements flow between nodes in batches (a span of up to batch_size elements, which the consumer
// may move from): a type-erased boundary costs one indirect call per batch, and a fused chain of
// narrow operations runs as one inlined loop over each batch.

#include <constellation/dataflow/codec.hpp>
#include <constellation/dataflow/function_ref.hpp>
#include <constellation/dataflow/user_function.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace constellation::dataflow::detail {

inline constexpr std::size_t batch_size = 1024;

class driver;  // the context's scheduler (src/driver.hpp)

// What nodes ask the driver while a task is written (implemented in src/driver.cpp).
std::size_t default_partitions(const driver& d);
bool is_cached(const driver& d, std::uint64_t cache, std::size_t partition);  // by any worker
// By the worker the task being written goes to: only then does the task leave out the lineage.
bool is_cached_at_target(const driver& d, std::uint64_t cache, std::size_t partition);
std::uint32_t shuffle_attempt(const driver& d, std::uint64_t shuffle, std::size_t partition);

// What a worker offers the task it runs.
class task_context {
 public:
  virtual ~task_context() = default;
  // Sources check it between batches: take() has what it needs.
  virtual bool stop_requested() const = 0;
  virtual void request_stop() = 0;
  virtual std::size_t workers() const = 0;
  virtual std::size_t memory_budget() const = 0;

  // Sends a block of encoded elements to the worker that owns the shuffle's partition.
  virtual void push_block(std::uint64_t shuffle, std::uint32_t attempt, std::uint32_t partition,
                          std::string&& bytes) = 0;
  // Calls visit with every block of the shuffle's partition, once all workers finished writing it;
  // with a side, only with the blocks whose first byte is that side (a join shuffles both of its
  // sides into the same partitions). Throws when a writer died before it finished, or the data is
  // gone.
  virtual void read_blocks(std::uint64_t shuffle, std::uint32_t partition, std::uint32_t attempt,
                           std::optional<std::uint8_t> side,
                           function_ref<void(std::string_view)> visit) = 0;
  // The bytes of the blocks of a shuffle's partition: all of them once read_blocks visits the
  // first (a reader may then size what it fills).
  virtual std::size_t block_bytes(std::uint64_t shuffle, std::uint32_t partition,
                                  std::uint32_t attempt) = 0;

  // A cached partition kept in this worker, or null.
  virtual std::shared_ptr<const void> cached(std::uint64_t cache, std::uint32_t partition) = 0;
  virtual void keep_cached(std::uint64_t cache, std::uint32_t partition,
                           std::shared_ptr<const void> data, std::size_t bytes) = 0;

  // The task's result, sent to the driver in parts of a bounded size.
  virtual void emit_result(std::string_view bytes) = 0;

  // Figures for progress reports.
  virtual void count_records_in(std::size_t n) = 0;
  virtual void count_spilled(std::size_t bytes) = 0;
};

// Where a partition's input lives: the stored node (a shuffle's output or a cache) and its
// partition. Tasks run where their input is.
struct origin {
  const class node_base* stored = nullptr;
  std::size_t partition = 0;
};

class node_base {
 public:
  node_base(std::shared_ptr<driver> owner, std::size_t partitions);
  virtual ~node_base();
  node_base(const node_base&) = delete;
  node_base& operator=(const node_base&) = delete;

  std::uint64_t id() const { return id_; }
  std::size_t partitions() const { return partitions_; }
  driver& owner() const;
  const std::shared_ptr<driver>& owner_ptr() const { return owner_; }

  // The nodes this one reads directly (its lineage one step up).
  virtual std::vector<const node_base*> parents() const = 0;
  // Where partition p's input lives, when it comes from a stored node through narrow steps.
  virtual std::optional<origin> origin_of(std::size_t p) const;

  // A shuffle boundary: its partitions are the output of a map stage over its parents.
  virtual const class wide_base* wide() const { return nullptr; }
  // A cache: partitions kept in the workers once computed.
  virtual bool is_cache() const { return false; }
  // n when this is a dataset of pairs whose partition p holds exactly the keys k with
  // hash_partition(k, n) == p (the output of a keyed shuffle, and what keeps its keys); else 0.
  // Two datasets partitioned alike join without a shuffle.
  virtual std::size_t hash_partitioned() const { return 0; }
  virtual std::string kind() const = 0;  // "map", "reduce_by_key", ... for messages

  // Dataset handles on this node (not lineage links): what the user can still act on.
  void add_handle() const { handles_.fetch_add(1, std::memory_order_relaxed); }
  void drop_handle() const { handles_.fetch_sub(1, std::memory_order_relaxed); }
  bool has_handles() const { return handles_.load(std::memory_order_relaxed) > 0; }

 protected:
  // A node rebuilt in a worker: no driver, only what compute() needs.
  explicit node_base(std::size_t partitions) : partitions_(partitions) {}

 private:
  std::shared_ptr<driver> owner_;
  std::uint64_t id_ = 0;
  std::size_t partitions_;
  mutable std::atomic<long> handles_{0};
};

template <class T>
using batch_sink = function_ref<void(std::span<T>)>;

// How a worker runs a task: the entry named in the task, given the rest of the task's bytes and
// the partition (or map task index) it computes.
using task_entry = void (*)(task_context& tc, reader& in, std::uint32_t partition);

// Which attempt of a shuffle a map task writes, and for which partitions: a rerun after a lost
// worker rewrites only the partitions that were lost.
struct write_target {
  std::uint32_t attempt = 0;
  std::vector<bool> only;  // empty: every partition
  bool wanted(std::size_t r) const { return only.empty() || only[r]; }
  void save(std::string& out) const {
    encode(out, attempt);
    put_varint(out, only.size());
    for (bool b : only) out.push_back(b ? 1 : 0);
  }
  void load(reader& in) {
    decode(in, attempt);
    only.resize(in.varint());
    for (std::size_t i = 0; i < only.size(); ++i) only[i] = *in.take(1) != 0;
  }
};

// A shuffle boundary as the driver plans it: a map stage whose tasks read the parents' partitions
// and push every element to the partition of this node that it belongs to.
class wide_base {
 public:
  virtual ~wide_base() = default;
  virtual std::size_t map_tasks() const = 0;
  virtual std::optional<origin> map_origin(std::size_t task) const = 0;
  virtual std::string map_task(std::size_t task, const write_target& target) const = 0;
  // Sorts draw a sample of keys first, to choose the splitters between partitions.
  virtual bool needs_sampling() const { return false; }
  virtual std::string sample_task(std::size_t) const { return {}; }
  virtual void take_samples(const std::vector<std::string>&) const {}
};

template <class T>
using view_sink = function_ref<void(std::span<const T>)>;

template <class T>
class node : public node_base {
 public:
  using node_base::node_base;
  using element = T;

  // Worker side: computes partition p, handing its elements to out in batches that out may move
  // from.
  virtual void compute(task_context& tc, std::size_t p, batch_sink<T> out) const = 0;
  // The same elements, for a consumer that only reads them: a node that keeps its elements (a
  // cache) lends them without a copy.
  virtual void compute_view(task_context& tc, std::size_t p, view_sink<T> out) const {
    compute(tc, p, [&](std::span<T> batch) { out(std::span<const T>(batch)); });
  }
  // Whether compute_view lends elements the node keeps: then compute() hands out copies of them,
  // and a consumer that would move from its input does better to read views and copy what it
  // keeps.
  virtual bool lends_elements() const { return false; }
  // Driver side: what a worker needs to rebuild this node for partition p (its loader first).
  virtual void save(std::string& out, std::size_t p) const = 0;
};

template <class T>
using node_ptr = std::shared_ptr<const node<T>>;

template <class T>
using node_loader = std::shared_ptr<const node<T>> (*)(reader&);

// Rebuilds a node that save() wrote, checking that its loader is a registered entry.
template <class T>
node_ptr<T> load_node(reader& in) {
  auto loader = resolve_entry<node_loader<T>>(decode<code_ref>(in));
  return loader(in);
}

// Writes N's loader, so that load_node finds it.
template <class N>
void save_loader(std::string& out) {
  encode(out, entry_ref<&N::load>());
}

// Collects single elements into batches for a batch_sink.
template <class T>
class batch_buffer {
 public:
  using element = T;
  explicit batch_buffer(batch_sink<T> out) : out_(out) { items_.reserve(batch_size); }
  ~batch_buffer() = default;
  template <class U>
  void push(U&& value) {
    items_.emplace_back(std::forward<U>(value));
    if (items_.size() == batch_size) flush();
  }
  void flush() {
    if (items_.empty()) return;
    out_(std::span<T>(items_));
    items_.clear();
  }

 private:
  batch_sink<T> out_;
  std::vector<T> items_;
};

// Emits a vector's elements in batches (which a batch_sink may move from).
template <class T>
void emit_all(std::span<T> items, function_ref<void(std::span<T>)> out, const task_context& tc) {
  for (std::size_t at = 0; at < items.size() && !tc.stop_requested(); at += batch_size)
    out(items.subspan(at, std::min(batch_size, items.size() - at)));
}

}  // namespace constellation::dataflow::detail
