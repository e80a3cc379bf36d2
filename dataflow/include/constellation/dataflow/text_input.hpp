#pragma once
// text_file's input: files cut into byte ranges on line boundaries (compiled once, in src/).

#include <constellation/dataflow/function_ref.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace constellation::dataflow::detail {

// Bytes [begin, end) of one file. A range owns the lines that start in it: it skips a partial first
// line (one that started before begin) and reads its last line past end to its '\n'.
struct file_range {
  std::string path;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

// The ranges of each of `partitions` partitions of a file or directory (its regular files in name
// order, names starting with '.' or '_' skipped, not recursive), by equal byte counts. Throws
// job_error naming the path when it is missing or unreadable.
std::vector<std::vector<file_range>> split_text_input(const std::string& path,
                                                      std::size_t partitions);

// Calls line for every line of the range, without its '\n' (and without a '\r' before it). Reads
// ahead of the caller through libuv's thread pool, so that computing overlaps the disk. Throws
// std::runtime_error naming the file on a read error.
void read_lines(const file_range& range, function_ref<void(std::string_view)> line,
                function_ref<bool()> stop_requested);

}  // namespace constellation::dataflow::detail
