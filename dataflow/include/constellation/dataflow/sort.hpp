#pragma once
// sort, sort_by and sort_by_key: a sample of keys chooses splitters between the output partitions,
// the map stage routes each element by binary search over them, and each output partition is
// sorted where it lands. Partitions in order are then the whole dataset in order.
//
// Balance with duplicate keys: every element is ranked by (key, map task, position in the task's
// partition), which orders all elements strictly. Splitters are such triples, so a key that fills
// half the input is cut across partitions like any other run of elements.

#include <constellation/dataflow/radix_sort.hpp>
#include <constellation/dataflow/shuffle.hpp>
#include <constellation/dataflow/spill.hpp>

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <random>
#include <tuple>

namespace constellation::dataflow::detail {

struct whole_key {
  template <class T>
  const T& operator()(const T& x) const {
    return x;
  }
  void save(std::string&) const {}
  void load(reader&) {}
};

struct first_key {
  template <class T>
  const auto& operator()(const T& x) const {
    return x.first;
  }
  void save(std::string&) const {}
  void load(reader&) {}
};

template <class F>
struct user_key {
  user_function<F> f;
  template <class T>
  auto operator()(const T& x) const {
    return f(x);
  }
  void save(std::string& out) const { f.save(out); }
  void load(reader& in) { f.load(in); }
};

// Whether a key is computed by the user's function, which a radix sort would call once per pass.
template <class KeyOf>
inline constexpr bool calls_user_function = false;
template <class F>
inline constexpr bool calls_user_function<user_key<F>> = true;

// Below this many elements a comparison sort is as quick, without the radix sort's tables.
inline constexpr std::size_t radix_sort_from = 4096;

template <class T, class KeyOf>
class sort_node final : public unary_shuffle<T, T, sort_node<T, KeyOf>> {
  using base = unary_shuffle<T, T, sort_node>;
  friend base;
  friend shuffle_node<T, sort_node>;
  using map_frame_t = typename shuffle_node<T, sort_node>::map_frame;
  using K = std::decay_t<decltype(std::declval<const KeyOf&>()(std::declval<const T&>()))>;

  // An element's rank: its key, then where it was read.
  struct rank {
    K key{};
    std::uint64_t task = 0;
    std::uint64_t index = 0;
    friend bool operator<(const rank& a, const rank& b) {
      if (a.key < b.key) return true;
      if (b.key < a.key) return false;
      return std::tie(a.task, a.index) < std::tie(b.task, b.index);
    }
  };

 public:
  sort_node(node_ptr<T> parent, std::size_t partitions, KeyOf key_of = {})
      : base(std::move(parent), partitions), key_of_(std::move(key_of)) {}
  std::string kind() const override { return "sort"; }
  std::size_t hash_partitioned() const override { return 0; }  // by ranges of keys

  bool needs_sampling() const override { return !sampled_ && this->partitions() > 1; }

  std::string sample_task(std::size_t task) const override {
    std::string out;
    encode(out, entry_ref<&sort_node::sample>());
    key_of_.save(out);
    // About 64 samples per output partition in all: the largest partition then stays well under
    // twice its fair share.
    const std::uint64_t wanted =
        16 + 64 * this->partitions() / std::max<std::size_t>(1, this->map_tasks());
    encode(out, wanted);
    this->parent_->save(out, task);
    return out;
  }

  // A task's sample: how many elements it read, then up to `wanted` ranks drawn uniformly.
  static void sample(task_context& tc, reader& in, std::uint32_t task) {
    KeyOf key_of;
    key_of.load(in);
    const auto wanted = decode<std::uint64_t>(in);
    auto parent = load_node<T>(in);
    // Reservoir sampling by skips (Li's algorithm L): once the reservoir is full, the next element
    // to take is drawn ahead, so that an element passed over costs a comparison, not a random
    // number.
    std::vector<rank> reservoir;
    std::mt19937_64 random(mix_hash(task + 1));
    const auto uniform = [&] { return (double(random() >> 11) + 0.5) * 0x1.0p-53; };  // in (0, 1)
    const double k = double(std::max<std::uint64_t>(wanted, 1));
    double w = std::exp(std::log(uniform()) / k);
    const auto skip = [&] {
      return std::uint64_t(std::floor(std::log(uniform()) / std::log1p(-w))) + 1;
    };
    std::uint64_t seen = 0, next = wanted;
    if (wanted > 0) next += skip() - 1;
    parent->compute_view(tc, task, [&](std::span<const T> batch) {
      for (const auto& x : batch) {
        if (seen < wanted) {
          reservoir.push_back({key_of(x), task, seen});
        } else if (seen == next) {
          reservoir[random() % wanted] = {key_of(x), task, seen};
          w *= std::exp(std::log(uniform()) / k);
          next += skip();
        }
        ++seen;
      }
    });
    std::string out;
    encode(out, seen);
    put_varint(out, reservoir.size());
    for (const auto& r : reservoir) {
      encode(out, r.key);
      encode(out, r.index);
    }
    tc.emit_result(out);
  }

  void take_samples(const std::vector<std::string>& results) const override {
    struct weighted {
      rank at;
      double weight;
    };
    std::vector<weighted> all;
    double total = 0;
    for (std::size_t task = 0; task < results.size(); ++task) {
      reader in(results[task]);
      const auto seen = decode<std::uint64_t>(in);
      const auto n = in.varint();
      for (std::uint64_t i = 0; i < n; ++i) {
        weighted w{{decode<K>(in), task, 0}, double(seen) / double(n)};
        decode(in, w.at.index);
        all.push_back(std::move(w));
        total += w.weight;
      }
    }
    std::sort(all.begin(), all.end(),
              [](const weighted& a, const weighted& b) { return a.at < b.at; });
    splitters_.clear();
    double below = 0;
    std::size_t next = 1;
    const std::size_t parts = this->partitions();
    for (const auto& w : all) {
      below += w.weight;
      while (next < parts && below >= total * double(next) / double(parts)) {
        splitters_.push_back(w.at);
        ++next;
      }
    }
    sampled_ = true;
  }

  void save_config(std::string& out) const {
    key_of_.save(out);
    put_varint(out, splitters_.size());
    for (const auto& s : splitters_) {
      encode(out, s.key);
      encode(out, s.task);
      encode(out, s.index);
    }
  }
  void load_config(reader& in) {
    key_of_.load(in);
    splitters_.resize(in.varint());
    for (auto& s : splitters_) {
      decode(in, s.key);
      decode(in, s.task);
      decode(in, s.index);
    }
  }

  void write(task_context& tc, const node<T>& parent, std::size_t task,
             const map_frame_t& frame) const {
    block_writer out(tc, frame.shuffle, frame.target, frame.partitions);
    std::uint64_t index = 0;
    parent.compute_view(tc, task, [&](std::span<const T> batch) {
      for (const auto& x : batch) {
        const rank r{key_of_(x), task, index++};
        const auto target =
            std::upper_bound(splitters_.begin(), splitters_.end(), r) - splitters_.begin();
        out.add(static_cast<std::size_t>(target), x);
      }
    });
    out.finish();
  }

  // Sorts the partition in memory while it fits in an eighth of the memory budget (a vector may
  // briefly hold twice what it holds, beside the received blocks); beyond that,
  // writes sorted runs to a spill file and merges them (with what is left in memory) as it emits.
  void compute(task_context& tc, std::size_t r, batch_sink<T> sink) const override {
    const auto less = [this](const T& a, const T& b) { return key_of_(a) < key_of_(b); };
    const auto sort_items = [&](std::vector<T>& items) {
      // A key that is a number, read without a user function: a radix sort (radix_sort.hpp).
      if constexpr (radix_key<K> && !calls_user_function<KeyOf>) {
        if (items.size() >= radix_sort_from) return radix_sort(items, key_of_);
      }
      std::sort(items.begin(), items.end(), less);
    };
    const std::size_t limit = std::max<std::size_t>(tc.memory_budget() / 8, 1 << 20);
    std::vector<T> items;
    std::size_t held = 0;
    std::unique_ptr<spill_file> spill;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> runs;
    const auto write_run = [&] {
      sort_items(items);
      if (!spill) spill = std::make_unique<spill_file>();
      run_writer run(*spill);
      for (const auto& item : items) {
        encode(run.frame(), item);
        run.next();
      }
      runs.push_back(run.finish());
      tc.count_spilled(runs.back().second - runs.back().first);
      items.clear();  // its room serves the next run
      held = 0;
    };
    // Elements whose encoding is their bytes are copied from each block straight into place, in
    // a vector the size of the partition (or of a run).
    const auto reserve = [&](std::size_t bytes) {
      // A block may take a run past the limit before it is written.
      if constexpr (raw_encoding<T>) items.reserve(std::min(bytes, limit + (1 << 20)) / sizeof(T));
    };
    this->read_blocks(tc, r, reserve, [&](reader& in) {
      if constexpr (raw_encoding<T>) {
        const auto before = items.size();
        decode_all(in, items);
        tc.count_records_in(items.size() - before);
        held = items.size() * sizeof(T);
        if (held >= limit) write_run();
      } else {
        std::size_t n = 0;
        for (; !in.done(); ++n) {
          items.push_back(decode<T>(in));
          held += footprint(items.back());
          if (held >= limit) write_run();
        }
        tc.count_records_in(n);
      }
    });
    sort_items(items);
    if (runs.empty()) {
      emit_all(std::span<T>(items), sink, tc);
      return;
    }
    merge(*spill, runs, items, less, tc, sink);
  }

 private:
  sort_node() = default;

  // One sorted source of a merge: a run on disk, read a frame at a time, or the sorted rest in
  // memory.
  struct merge_source {
    std::optional<run_reader> run;
    std::string frame;
    std::optional<reader> in;
    std::vector<T>* memory = nullptr;
    std::size_t memory_at = 0;
    T head{};

    bool advance() {
      if (memory) {
        if (memory_at == memory->size()) return false;
        head = std::move((*memory)[memory_at++]);
        return true;
      }
      while (!in || in->done()) {
        if (!run->next_frame(frame)) return false;
        in.emplace(frame);
      }
      head = decode<T>(*in);
      return true;
    }
  };

  template <class Less>
  static void merge(spill_file& spill,
                    const std::vector<std::pair<std::uint64_t, std::uint64_t>>& runs,
                    std::vector<T>& rest, const Less& less, task_context& tc, batch_sink<T> sink) {
    std::vector<merge_source> sources(runs.size() + 1);
    for (std::size_t i = 0; i < runs.size(); ++i) sources[i].run.emplace(spill, runs[i]);
    sources.back().memory = &rest;
    // A min-heap of the sources' heads.
    std::vector<merge_source*> heap;
    for (auto& source : sources)
      if (source.advance()) heap.push_back(&source);
    const auto later = [&](const merge_source* a, const merge_source* b) {
      return less(b->head, a->head);
    };
    std::make_heap(heap.begin(), heap.end(), later);
    batch_buffer<T> out(sink);
    while (!heap.empty() && !tc.stop_requested()) {
      std::pop_heap(heap.begin(), heap.end(), later);
      merge_source* smallest = heap.back();
      out.push(std::move(smallest->head));
      if (smallest->advance())
        std::push_heap(heap.begin(), heap.end(), later);
      else
        heap.pop_back();
    }
    out.flush();
  }
  KeyOf key_of_{};
  mutable std::vector<rank> splitters_;  // chosen once by the driver, kept for reruns
  mutable bool sampled_ = false;
};

}  // namespace constellation::dataflow::detail
