#pragma once
// What the last stage of an action does with each partition, in the worker that computes it, and
// how the driver runs it.

#include <constellation/dataflow/node.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace constellation::dataflow::detail {

// A task's result: the parts it emitted, in order (each holds whole elements; a large result
// arrives in many parts, kept as they came rather than copied into one string).
using task_result = std::vector<std::string>;

// Runs an action over the given partitions of root, after the shuffles it reads (and any lost
// data) are computed. make_task(p) writes partition p's task: its entry, then what the entry
// reads. Hands each partition's result to each(i, result), i its index in `partitions`, in that
// order and as soon as the results before it are in: a large result is consumed while later
// tasks still run, rather than held whole beside what it becomes. Throws job_error naming the
// action, the stage and the partition.
void run_action(driver& d, const char* action, const node_base& root,
                std::span<const std::size_t> partitions,
                function_ref<std::string(std::size_t)> make_task,
                function_ref<void(std::size_t, task_result&&)> each);

// The partitions 0..n-1.
std::vector<std::size_t> all_partitions(std::size_t n);

// Results are sent to the driver in parts of about this size.
inline constexpr std::size_t result_part_bytes = 1 << 20;

template <class T>
struct collect_task {
  static void run(task_context& tc, reader& in, std::uint32_t p) {
    const auto limit = decode<std::uint64_t>(in);  // take(n): at most n; collect: all
    auto source = load_node<T>(in);
    std::string part;
    std::uint64_t taken = 0;
    source->compute_view(tc, p, [&](std::span<const T> batch) {
      const auto n = std::min<std::uint64_t>(batch.size(), limit - taken);
      encode_all(part, batch.first(n));
      taken += n;
      if (part.size() >= result_part_bytes) {
        tc.emit_result(part);
        part.clear();
      }
      if (taken == limit) tc.request_stop();
    });
    tc.emit_result(part);
  }
};

template <class T>
struct count_task {
  static void run(task_context& tc, reader& in, std::uint32_t p) {
    auto source = load_node<T>(in);
    std::uint64_t n = 0;
    source->compute_view(tc, p, [&](std::span<const T> batch) { n += batch.size(); });
    std::string out;
    encode(out, n);
    tc.emit_result(out);
  }
};

template <class T, class F>
struct reduce_task {
  static void run(task_context& tc, reader& in, std::uint32_t p) {
    user_function<F> f;
    f.load(in);
    auto source = load_node<T>(in);
    std::optional<T> acc;
    source->compute(tc, p, [&](std::span<T> batch) {
      for (auto& x : batch) {
        if (acc)
          *acc = f(std::move(*acc), std::move(x));
        else
          acc.emplace(std::move(x));
      }
    });
    std::string out;
    encode(out, acc);
    tc.emit_result(out);
  }
};

// save_text's line format: operator<< for one value, fields of a pair or tuple joined by tabs, an
// empty optional as nothing, a vector as [a,b,c].
template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
struct is_tuple_like : std::false_type {};
template <class A, class B>
struct is_tuple_like<std::pair<A, B>> : std::true_type {};
template <class... Ts>
struct is_tuple_like<std::tuple<Ts...>> : std::true_type {};

template <class T>
void write_text(std::ostream& out, const T& value) {
  if constexpr (is_tuple_like<T>::value) {
    bool first = true;
    std::apply(
        [&](const auto&... field) {
          ((out << (first ? "" : "\t"), write_text(out, field), first = false), ...);
        },
        value);
  } else if constexpr (is_optional<T>::value) {
    if (value) write_text(out, *value);
  } else if constexpr (is_vector<T>::value) {
    out << '[';
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (i) out << ',';
      write_text(out, value[i]);
    }
    out << ']';
  } else {
    static_assert(
        requires(std::ostream & o, const T& v) { o << v; },
        "dataflow: save_text writes elements with operator<<; define one for this type");
    out << value;
  }
}

// Writes part-NNNNN under a temporary name, then renames it: a rerun of the task after a lost
// worker replaces the part whole, and a reader never sees half of one.
void write_part(const std::string& directory, std::size_t partition,
                function_ref<void(std::ostream&)> body);

template <class T>
struct save_text_task {
  static void run(task_context& tc, reader& in, std::uint32_t p) {
    const auto directory = decode<std::string>(in);
    auto source = load_node<T>(in);
    write_part(directory, p, [&](std::ostream& out) {
      source->compute_view(tc, p, [&](std::span<const T> batch) {
        for (const auto& x : batch) {
          write_text(out, x);
          out << '\n';
        }
      });
    });
    tc.emit_result({});
  }
};

// Creates the directory (and missing parents); throws job_error when it exists and is not empty.
void prepare_output_directory(const std::string& directory);

}  // namespace constellation::dataflow::detail
