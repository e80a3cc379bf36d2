// Word count with the dataflow layer: the lines of a file (or of a directory's files) are split
// into words on the workers, counted with a combiner on each worker before the shuffle, and the
// most frequent words come back sorted.
//
//   word_count [path]      without a path, counts a small text the program writes itself
#include <constellation/constellation.hpp>
#include <constellation/dataflow.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

namespace df = constellation::dataflow;

int main(int argc, char** argv) {
  constellation::init();
  std::string path = argc > 1 ? argv[1] : "";
  if (path.empty()) {  // a sample input, so that the example runs on its own
    path = (std::filesystem::temp_directory_path() / "word_count_sample.txt").string();
    std::ofstream(path) << "the quick brown fox jumps over the lazy dog\n"
                           "the dog barks\nthe fox runs away\n";
  }

  df::context ctx;
  auto counts = ctx.text_file(path)
                    .flat_map<std::string>([](const std::string& line, auto& emit) {
                      std::string word;
                      for (char c : line) {
                        if (std::isalnum(static_cast<unsigned char>(c))) {
                          word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                        } else if (!word.empty()) {
                          emit(std::move(word));
                          word.clear();
                        }
                      }
                      if (!word.empty()) emit(std::move(word));
                    })
                    .map([](const std::string& word) { return std::pair(word, std::uint64_t{1}); })
                    .reduce_by_key([](std::uint64_t a, std::uint64_t b) { return a + b; })
                    .collect();

  std::sort(counts.begin(), counts.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::cout << counts.size() << " distinct words on " << ctx.workers()
            << " workers; the most frequent:\n";
  for (std::size_t i = 0; i < counts.size() && i < 10; ++i)
    std::cout << "  " << counts[i].first << "\t" << counts[i].second << "\n";
  if (argc <= 1) {  // the sample's answer is known: check it
    const bool right =
        !counts.empty() && counts[0] == std::pair<std::string, std::uint64_t>("the", 4);
    if (!right) std::cerr << "word_count: wrong result for the sample text\n";
    return right ? 0 : 1;
  }
}
