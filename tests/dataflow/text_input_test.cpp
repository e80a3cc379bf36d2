// text_file's input: split_text_input cuts files and directories into byte ranges, and
// read_lines gives each range the lines that start in it. Together every line appears in exactly
// one partition, in order, whatever the cut points: inside a line, at a '\n', between '\r' and
// '\n', inside a line longer than the 1 MiB read chunk.
#include <constellation/dataflow/options.hpp>
#include <constellation/dataflow/text_input.hpp>

#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace detail = constellation::dataflow::detail;
namespace fs = std::filesystem;

namespace {

// A fresh directory under the temporary directory, removed with everything in it.
class temp_dir {
 public:
  temp_dir() {
    static int made = 0;
    path_ = fs::temp_directory_path() /
            ("dataflow_text_test_" + std::to_string(::getpid()) + "_" + std::to_string(made++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  std::string write(const std::string& name, const std::string& content) const {
    const auto file = (path_ / name).string();
    std::ofstream(file, std::ios::binary) << content;
    return file;
  }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

std::vector<std::string> lines_of(const detail::file_range& range) {
  std::vector<std::string> out;
  detail::read_lines(
      range, [&](std::string_view line) { out.emplace_back(line); }, [] { return false; });
  return out;
}

// The lines of every partition, in partition order.
std::vector<std::string> read_partitions(
    const std::vector<std::vector<detail::file_range>>& splits) {
  std::vector<std::string> out;
  for (const auto& ranges : splits)
    for (const auto& r : ranges)
      for (auto& line : lines_of(r)) out.push_back(std::move(line));
  return out;
}

// The lines of content split by cuts (sorted file offsets) into consecutive ranges.
std::vector<std::string> read_cut(const std::string& file, std::uint64_t size,
                                  std::vector<std::uint64_t> cuts) {
  cuts.insert(cuts.begin(), 0);
  cuts.push_back(size);
  std::vector<std::string> out;
  for (std::size_t i = 0; i + 1 < cuts.size(); ++i)
    for (auto& line : lines_of({file, cuts[i], cuts[i + 1]})) out.push_back(std::move(line));
  return out;
}

}  // namespace

TEST_CASE(
    "text input: a directory's files in name order, '.' and '_' files and subdirectories skipped") {
  temp_dir dir;
  dir.write("b.txt", "b1\nb2\nb3\n");
  dir.write("a.txt", "a1\na2\n");
  dir.write("c.txt", "");
  dir.write("d.txt", "d1\n\nd3");  // an empty line, no '\n' at the end
  dir.write(".hidden", "hidden\n");
  dir.write("_SUCCESS", "marker\n");
  fs::create_directory(fs::path(dir.path()) / "nested");
  std::ofstream((fs::path(dir.path()) / "nested" / "e.txt").string()) << "nested\n";

  const std::vector<std::string> expected = {"a1", "a2", "b1", "b2", "b3", "d1", "", "d3"};
  for (std::size_t partitions = 1; partitions <= 30; ++partitions) {
    CAPTURE(partitions);
    const auto splits = detail::split_text_input(dir.path(), partitions);
    CHECK(splits.size() == partitions);
    CHECK(read_partitions(splits) == expected);
  }
}

TEST_CASE("text input: ranges of one file are contiguous and cover it") {
  temp_dir dir;
  const auto file = dir.write("f.txt", std::string(1000, 'x'));
  const auto splits = detail::split_text_input(file, 7);
  std::uint64_t at = 0;
  for (const auto& ranges : splits) {
    REQUIRE(ranges.size() == 1);
    CHECK(ranges[0].path == file);
    CHECK(ranges[0].begin == at);
    at = ranges[0].end;
  }
  CHECK(at == 1000);
}

TEST_CASE("text input: a missing path is a job_error naming it") {
  CHECK_THROWS_WITH_AS(detail::split_text_input("/nonexistent/dataflow/input", 2),
                       doctest::Contains("/nonexistent/dataflow/input"),
                       constellation::dataflow::job_error);
}

TEST_CASE("text input: CRLF endings lose the CR and a last line without LF is kept") {
  temp_dir dir;
  const auto file = dir.write("crlf.txt", "one\r\ntwo\r\n\r\nfour\rstill four\nlast");
  CHECK(lines_of({file, 0, 100}) ==
        std::vector<std::string>{"one", "two", "", "four\rstill four", "last"});
}

namespace {

// Lines joined by '\n', without one after the last; read back, a '\r' before '\n' is dropped.
struct text {
  std::string content;
  std::vector<std::string> lines;
};
text joined(std::vector<std::string> lines) {
  text t;
  for (std::size_t i = 0; i < lines.size(); ++i)
    t.content += lines[i] + (i + 1 < lines.size() ? "\n" : "");
  for (std::size_t i = 0; i + 1 < lines.size(); ++i)
    if (!lines[i].empty() && lines[i].back() == '\r') lines[i].pop_back();
  t.lines = std::move(lines);
  return t;
}

// Cut at every point near a line boundary (alone and all together), at the given points and at
// random ones, and as split_text_input cuts: the lines read are always all the lines, in order.
void check_cuts(const std::string& file, const text& t, const std::vector<std::uint64_t>& extra) {
  const std::uint64_t size = t.content.size();
  std::vector<std::uint64_t> boundaries;
  for (std::uint64_t i = 0; i < size; ++i)
    if (t.content[i] == '\n' || t.content[i] == '\r')
      for (std::uint64_t c : {i - 1, i, i + 1, i + 2})
        if (c > 0 && c < size) boundaries.push_back(c);
  for (auto c : boundaries) {
    CAPTURE(c);
    CHECK(read_cut(file, size, {c}) == t.lines);
  }
  std::sort(boundaries.begin(), boundaries.end());
  boundaries.erase(std::unique(boundaries.begin(), boundaries.end()), boundaries.end());
  CHECK(read_cut(file, size, boundaries) == t.lines);
  CHECK(read_cut(file, size, extra) == t.lines);
  std::mt19937_64 random(5);
  for (int round = 0; round < 20; ++round) {
    std::vector<std::uint64_t> cuts(1 + random() % 8);
    for (auto& c : cuts) c = 1 + random() % (size - 1);
    std::sort(cuts.begin(), cuts.end());
    CAPTURE(round);
    CHECK(read_cut(file, size, cuts) == t.lines);
  }
  for (std::size_t partitions : {1u, 2u, 3u, 5u, 16u})
    CHECK(read_partitions(detail::split_text_input(file, partitions)) == t.lines);
}

}  // namespace

TEST_CASE("text input: cut anywhere every line is read once in order") {
  temp_dir dir;
  const auto t = joined({"alpha", "", "beta\r", "\r", "gamma gamma", "", "", "delta", "epsilon"});
  check_cuts(dir.write("short.txt", t.content), t, {1, 2, 3, 10, 20});
}

TEST_CASE("text input: lines longer than the 1 MiB read chunk cut anywhere") {
  // A file of several chunks: a range that ends before the file does returns with the next
  // chunk's read still in flight.
  temp_dir dir;
  const auto t = joined({"alpha", "", "beta\r", std::string(1536 * 1024, 'L'), "gamma",
                         std::string(1024 * 1024, 'M'), "", "delta"});
  check_cuts(dir.write("long.txt", t.content), t,
             {10, 20, 1000, 1 << 20, (1 << 20) + 1, 1500 * 1024});
}

TEST_CASE("text input: a range that starts mid-line skips to the next line") {
  temp_dir dir;
  const auto file = dir.write("f.txt", "first line\nsecond\nthird\n");
  CHECK(lines_of({file, 3, 12}) == std::vector<std::string>{"second"});  // "second" starts at 11
  CHECK(lines_of({file, 11, 12}) == std::vector<std::string>{"second"});
  CHECK(lines_of({file, 12, 18}).empty());  // starts inside "second", the next line starts at 18
  CHECK(lines_of({file, 0, 1}) == std::vector<std::string>{"first line"});
  CHECK(lines_of({file, 5, 5}).empty());
}
