#pragma once
// Local disk for data beyond a worker's memory budget: unnamed temporary files (O_TMPFILE), gone
// with the last descriptor, so that nothing is left behind by a worker that is killed. The
// directory is CONSTELLATION_SPILL_DIR, else TMPDIR, else /tmp.

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace constellation::dataflow::detail {

class spill_file {
 public:
  spill_file();  // throws std::runtime_error naming the directory when it cannot create the file
  ~spill_file();
  spill_file(const spill_file&) = delete;
  spill_file& operator=(const spill_file&) = delete;

  // Appends bytes; returns where they start. Thread-safe.
  std::uint64_t append(std::string_view bytes);
  // Reads size bytes at offset into out (resized). Throws on a short read.
  void read(std::uint64_t offset, std::size_t size, std::string& out) const;
  // Gives the disk space of [offset, offset + size) back to the file system.
  void release(std::uint64_t offset, std::size_t size);
  std::uint64_t size() const;

 private:
  int fd_ = -1;
  std::uint64_t end_ = 0;
};

// A run of encoded elements on a spill file, written in frames of whole elements (each a 4-byte
// length, then the frame) of about frame_bytes, and read back frame by frame, in order. One
// writer at a time per file: a run is one extent of it.
class run_writer {
 public:
  static constexpr std::size_t default_frame_bytes = 1 << 20;
  explicit run_writer(spill_file& file, std::size_t frame_bytes = default_frame_bytes)
      : file_(file), frame_bytes_(frame_bytes) {}
  // Encode elements into it, then call next(). (It begins with room for the frame's length.)
  std::string& frame() {
    if (frame_.empty()) frame_.resize(sizeof(std::uint32_t));
    return frame_;
  }
  void next() {
    if (frame_.size() >= frame_bytes_) flush();
  }
  // Ends the run: [begin, end) in the file.
  std::pair<std::uint64_t, std::uint64_t> finish();

 private:
  void flush();
  spill_file& file_;
  std::size_t frame_bytes_;
  std::string frame_;
  std::uint64_t begin_ = ~std::uint64_t(0);
  std::uint64_t end_ = 0;
};

class run_reader {
 public:
  run_reader(const spill_file& file, std::pair<std::uint64_t, std::uint64_t> extent)
      : file_(file), at_(extent.first), end_(extent.second) {}
  // The next frame's bytes, or false at the end of the run.
  bool next_frame(std::string& out);

 private:
  const spill_file& file_;
  std::uint64_t at_, end_;
};

// Approximate bytes an element holds in memory: its object and what it owns on the heap.
template <class T>
std::size_t footprint(const T& value) {
  if constexpr (requires {
                  value.first;
                  value.second;
                }) {
    return footprint(value.first) + footprint(value.second);
  } else if constexpr (requires {
                         value.capacity();
                         value.size();
                         value.begin();
                       }) {
    std::size_t total = sizeof(T);
    using element = std::decay_t<decltype(*value.begin())>;
    if constexpr (std::is_trivially_copyable_v<element>) {
      total += value.capacity() * sizeof(element);
    } else {
      for (const auto& e : value) total += footprint(e);
    }
    return total;
  } else {
    return sizeof(T);
  }
}

// What an element holds beyond its object (on the heap), approximately.
template <class T>
std::size_t heap_bytes(const T& value) {
  const auto all = footprint(value);
  return all > sizeof(T) ? all - sizeof(T) : 0;
}

}  // namespace constellation::dataflow::detail
