#pragma once
// Collects elements into batches for a consumer that only reads them (a view_sink), keeping the
// elements from batch to batch: an element assigned in place keeps what it allocated (a vector's
// or a string's capacity) for the element that takes its place in the next batch. A join whose
// left side is a cache copies each left value into its rows; into a kept row, the copy costs no
// allocation (and no fresh pages) once the buffer has warmed up.

#include <constellation/dataflow/node.hpp>
#include <constellation/dataflow/spill.hpp>

#include <cstddef>
#include <span>
#include <vector>

namespace constellation::dataflow::detail {

template <class T>
class view_buffer {
 public:
  using element = T;
  explicit view_buffer(view_sink<T> out) : out_(out) { items_.reserve(batch_size); }

  // The next element of the batch, as an earlier batch left it: the caller assigns every part of
  // it. The batch is handed on first when it is full.
  T& next() {
    if (filled_ == batch_size) flush();
    if (filled_ == items_.size()) items_.emplace_back();
    return items_[filled_++];
  }

  void flush() {
    if (filled_ == 0) return;
    out_(std::span<const T>(items_.data(), filled_));
    // An element that holds much gains little from being kept (its allocation is cheap beside
    // its copy), and a few such would keep a batch's memory high: it starts afresh.
    for (std::size_t i = 0; i < filled_; ++i)
      if (heap_bytes(items_[i]) > kept_bytes) items_[i] = T();
    filled_ = 0;
  }

 private:
  static constexpr std::size_t kept_bytes = 64 * 1024;
  view_sink<T> out_;
  std::vector<T> items_;
  std::size_t filled_ = 0;
};

}  // namespace constellation::dataflow::detail
