// cache() is lazy and computes each partition once however many actions use it (each computed
// element appends a line to a file); a user function that throws fails the action with a job_error
// naming the action, the stage, the partition and the exception's text, and the context goes on.
#include "dataflow/checks.hpp"
#include "scenario.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace df = constellation::dataflow;

namespace {

std::uint64_t recorded(const std::uint64_t& x, const std::string& log) {
  const int fd = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0600);
  const std::string line = std::to_string(x) + "\n";
  (void)!::write(fd, line.data(), line.size());
  ::close(fd);
  return x * 2;
}

std::size_t lines_in(const std::string& path) {
  std::ifstream in(path);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

}  // namespace

CONSTELLATION_SCENARIO(dataflow_cache_and_errors) {
  e2e::dataflow::tally t;
  df::context ctx(e2e::dataflow::small_workers());
  const std::string log =
      (std::filesystem::temp_directory_path() / ("dataflow_cache." + std::to_string(::getpid())))
          .string();
  std::filesystem::remove(log);

  auto doubled = ctx.range(0, 1000).map(recorded, log).cache();
  t.check("cache is lazy", lines_in(log) == 0);
  t.check("first action", doubled.count() == 1000);
  t.check("second action",
          doubled.reduce([](std::uint64_t a, std::uint64_t b) { return a + b; }) == 999 * 1000);
  t.check("a chain over the cache",
          doubled.filter([](const std::uint64_t& x) { return x % 4 == 0; }).count() == 500);
  t.check("a shuffle over the cache",
          doubled.map([](const std::uint64_t& x) { return std::pair(x % 3, x); })
                  .reduce_by_key([](std::uint64_t a, std::uint64_t b) { return a + b; })
                  .count() == 3);
  t.check("each cached partition was computed once", lines_in(log) == 1000);
  std::filesystem::remove(log);

  auto failing = ctx.range(0, 100, 4).map([](const std::uint64_t& x) {
    if (x == 57) throw std::runtime_error("element 57 is bad");
    return x;
  });
  try {
    failing.collect();
    t.check("a throwing function fails the action", false);
  } catch (const df::job_error& e) {
    const std::string what = e.what();
    std::cout << "job_error: " << what << "\n";
    t.check("job_error names the action", what.find("collect") != std::string::npos);
    t.check("job_error names the stage", what.find("stage 1 of 1") != std::string::npos);
    t.check("job_error names the partition", what.find("partition 2") != std::string::npos);
    t.check("job_error carries the exception's text",
            what.find("element 57 is bad") != std::string::npos);
  }
  try {
    failing.map([](const std::uint64_t& x) { return std::pair(x % 5, x); }).group_by_key().count();
    t.check("a throwing function in a map stage fails the action", false);
  } catch (const df::job_error& e) {
    const std::string what = e.what();
    std::cout << "job_error: " << what << "\n";
    t.check("a failed map stage names its stage",
            what.find("stage 1 of 2 (group_by_key)") != std::string::npos);
  }
  t.check("the context goes on after a job_error", ctx.range(0, 10).count() == 10);
  return t.verdict();
}
