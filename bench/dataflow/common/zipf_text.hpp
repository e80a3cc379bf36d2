#pragma once
// WordCount's input: lines of words drawn from a 100,000-word vocabulary with Zipf's law (the
// word of rank r has weight 1 / (r + 1)), written to a file of a chosen size. Words are 2 to 10
// lowercase letters, separated by one space; lines hold 8 to 23 words. The same seed gives the same
// bytes on every run.

#include "mix.hpp"

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <vector>

namespace bench::dataflow {

inline constexpr std::size_t vocabulary_size = 100'000;
inline constexpr std::uint64_t text_seed = 0x7e47;

// Word r of the vocabulary, r = 0 the most frequent. Each word is unique: a candidate that was
// already taken is drawn again.
inline std::vector<std::string> make_vocabulary(std::size_t size = vocabulary_size) {
  std::vector<std::string> words;
  words.reserve(size);
  std::unordered_set<std::string> taken;
  std::uint64_t draw = 0;
  while (words.size() < size) {
    std::uint64_t bits = stream(text_seed, draw++);
    std::string word(2 + bits % 9, 'a');
    bits /= 9;  // 2^60 and more left: enough for ten letters (26^10 < 2^48)
    for (char& c : word) {
      c = static_cast<char>('a' + bits % 26);
      bits /= 26;
    }
    if (taken.insert(word).second) words.push_back(std::move(word));
  }
  return words;
}

// Draws ranks in O(1) with Vose's alias method: a table of cut-offs and alternatives.
class zipf_sampler {
 public:
  explicit zipf_sampler(std::size_t n) : cut_(n), alias_(n) {
    std::vector<double> scaled(n);
    double total = 0;
    for (std::size_t r = 0; r < n; ++r) total += 1.0 / static_cast<double>(r + 1);
    std::vector<std::uint32_t> small, large;
    for (std::size_t r = 0; r < n; ++r) {
      scaled[r] = static_cast<double>(n) / static_cast<double>(r + 1) / total;
      (scaled[r] < 1.0 ? small : large).push_back(static_cast<std::uint32_t>(r));
    }
    while (!small.empty() && !large.empty()) {
      const std::uint32_t s = small.back(), l = large.back();
      small.pop_back();
      cut_[s] = scaled[s];
      alias_[s] = l;
      scaled[l] -= 1.0 - scaled[s];
      if (scaled[l] < 1.0) {
        large.pop_back();
        small.push_back(l);
      }
    }
    for (auto r : large) cut_[r] = 1.0, alias_[r] = r;
    for (auto r : small) cut_[r] = 1.0, alias_[r] = r;
  }

  // The rank for 64 random bits.
  std::size_t operator()(std::uint64_t bits) const {
    const std::size_t column = static_cast<std::size_t>((bits >> 32) % cut_.size());
    const double coin = static_cast<double>(bits & 0xffffffffULL) * 0x1.0p-32;
    return coin < cut_[column] ? column : alias_[column];
  }

 private:
  std::vector<double> cut_;
  std::vector<std::uint32_t> alias_;
};

// Writes at least `bytes` bytes (whole lines) of Zipf text to path; returns the bytes written.
// Throws std::runtime_error when the file cannot be written.
inline std::uint64_t write_zipf_text(const std::string& path, std::uint64_t bytes) {
  const auto words = make_vocabulary();
  const zipf_sampler sample(words.size());
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) throw std::runtime_error("cannot create " + path);
  std::string buffer;
  buffer.reserve(1 << 20);
  std::uint64_t written = 0, draw = 0;
  for (std::uint64_t line = 0; written + buffer.size() < bytes; ++line) {
    const std::uint64_t length = 8 + stream(text_seed + 2, line) % 16;
    for (std::uint64_t w = 0; w < length; ++w) {
      if (w) buffer += ' ';
      buffer += words[sample(stream(text_seed + 3, draw++))];
    }
    buffer += '\n';
    if (buffer.size() >= (1 << 20) - 256) {
      written += std::fwrite(buffer.data(), 1, buffer.size(), file);
      buffer.clear();
    }
  }
  written += std::fwrite(buffer.data(), 1, buffer.size(), file);
  if (std::fclose(file) != 0) throw std::runtime_error("cannot write " + path);
  return written;
}

}  // namespace bench::dataflow
