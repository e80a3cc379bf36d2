// text_file over a file and over a directory (name order, '.' and '_' files skipped), lines kept in
// order across partitions; save_text read back; the errors a user meets: a missing input path, an
// output directory that is not empty.
#include "dataflow/checks.hpp"
#include "scenario.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace df = constellation::dataflow;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> some_lines(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < n; ++i) {
    std::string line;
    const auto words = random() % 12;  // some lines are empty
    for (std::uint64_t w = 0; w < words; ++w)
      line += (w ? " " : "") + std::string(1 + random() % 9, char('a' + random() % 26));
    lines.push_back(line);
  }
  return lines;
}

void write_lines(const fs::path& path, const std::vector<std::string>& lines,
                 bool last_newline = true) {
  std::ofstream out(path, std::ios::binary);
  for (std::size_t i = 0; i < lines.size(); ++i)
    out << lines[i] << (i + 1 < lines.size() || last_newline ? "\n" : "");
}

std::vector<std::string> read_lines_of(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

CONSTELLATION_SCENARIO(dataflow_files) {
  e2e::dataflow::tally t;
  df::context ctx(e2e::dataflow::small_workers());
  const fs::path root =
      fs::temp_directory_path() / ("dataflow_files." + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "input");

  const auto first = some_lines(3000, 1), second = some_lines(2000, 2);
  write_lines(root / "input" / "b.txt", second, false);  // the last line has no '\n'
  write_lines(root / "input" / "a.txt", first);
  write_lines(root / "input" / "_SUCCESS", {"not data"});
  write_lines(root / "input" / ".hidden", {"not data either"});
  fs::create_directories(root / "input" / "nested");
  write_lines(root / "input" / "nested" / "c.txt", {"not read: directories are not recursive"});

  t.same("text_file of a file, in order",
         ctx.text_file((root / "input" / "a.txt").string()).collect(), first);
  t.same("text_file with many partitions",
         ctx.text_file((root / "input" / "a.txt").string(), 13).collect(), first);
  auto both = first;
  both.insert(both.end(), second.begin(), second.end());
  t.same("text_file of a directory, files in name order",
         ctx.text_file((root / "input").string(), 7).collect(), both);

  try {
    ctx.text_file((root / "missing.txt").string()).count();
    t.check("a missing path throws job_error", false);
  } catch (const df::job_error& e) {
    t.check("a missing path throws job_error naming it",
            std::string(e.what()).find("missing.txt") != std::string::npos);
  }

  std::vector<std::pair<std::string, std::uint64_t>> pairs;
  for (std::uint64_t i = 0; i < 500; ++i) pairs.emplace_back("key" + std::to_string(i), i * i);
  const auto out = root / "out" / "pairs";  // its parent does not exist yet
  ctx.parallelize(pairs, 6).save_text(out.string());
  std::vector<std::string> written;
  std::size_t parts = 0;
  for (std::size_t p = 0; p < 6; ++p) {
    char name[16];
    std::snprintf(name, sizeof name, "part-%05zu", p);
    if (!fs::exists(out / name)) continue;
    ++parts;
    for (auto& line : read_lines_of(out / name)) written.push_back(line);
  }
  std::vector<std::string> expected;
  for (auto& [k, v] : pairs) expected.push_back(k + "\t" + std::to_string(v));
  t.check("save_text writes one part per partition", parts == 6);
  t.same("save_text read back", written, expected);
  t.same("save_text then text_file", ctx.text_file(out.string()).collect(), expected);

  ctx.parallelize(std::vector<int>{}, 3).save_text((root / "empty").string());
  t.check("save_text of nothing writes empty parts",
          fs::exists(root / "empty" / "part-00002") &&
              fs::file_size(root / "empty" / "part-00002") == 0);
  try {
    ctx.parallelize(pairs).save_text(out.string());
    t.check("save_text into a full directory throws", false);
  } catch (const df::job_error& e) {
    t.check("save_text into a full directory throws job_error",
            std::string(e.what()).find("not empty") != std::string::npos);
  }
  fs::remove_all(root);
  return t.verdict();
}
