#pragma once
// WordCount by hand, in one thread: read the file in 1 MiB blocks, cut it at spaces and newlines,
// count in an unordered_map looked up by string_view (no string made for a word already seen).

#include "../common/mix.hpp"

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace bench::dataflow {

// What a word count is compared by: the order of the pairs does not matter.
struct word_count_summary {
  std::uint64_t distinct = 0, total = 0, checksum = 0;
  bool operator==(const word_count_summary&) const = default;
};

// Adds one (word, count) pair to a summary.
inline void add_word_count(word_count_summary& s, std::string_view word, std::uint64_t count) {
  ++s.distinct;
  s.total += count;
  s.checksum += mix(fnv1a(word) ^ mix(count));
}

template <class Pairs>
word_count_summary summarize_word_counts(const Pairs& pairs) {
  word_count_summary s;
  for (const auto& [word, count] : pairs)
    add_word_count(s, word, static_cast<std::uint64_t>(count));
  return s;
}

namespace baseline {

struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

inline word_count_summary word_count(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) throw std::runtime_error("cannot open " + path);
  std::unordered_map<std::string, std::uint64_t, string_hash, std::equal_to<>> counts;
  counts.reserve(1 << 17);
  std::vector<char> block(1 << 20);
  std::string carry;  // a word cut by the end of the previous block
  auto count = [&](std::string_view word) {
    if (word.empty()) return;
    if (auto it = counts.find(word); it != counts.end())
      ++it->second;
    else
      counts.emplace(word, 1);
  };
  for (std::size_t got; (got = std::fread(block.data(), 1, block.size(), file)) > 0;) {
    std::size_t start = 0;
    for (std::size_t i = 0; i < got; ++i) {
      if (block[i] != ' ' && block[i] != '\n') continue;
      if (!carry.empty()) {
        carry.append(block.data() + start, i - start);
        count(carry);
        carry.clear();
      } else {
        count(std::string_view(block.data() + start, i - start));
      }
      start = i + 1;
    }
    carry.append(block.data() + start, got - start);
  }
  std::fclose(file);
  count(carry);
  return summarize_word_counts(counts);
}

}  // namespace baseline
}  // namespace bench::dataflow
