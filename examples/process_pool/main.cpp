// A reusable pool of worker processes, fed jobs that name their function. The top starts M
// workers once and runs two batches of jobs on them; results come back tagged with their job's
// id and are returned in the order the jobs were submitted.
//
//   process_pool [workers]      default 3
//
// Why a job names its function by an index into a table rather than carrying a function
// pointer: a pointer is an address in one process's memory, and addresses differ between
// processes (ASLR) and builds, so it means nothing once serialized. Every process of a job runs
// the same program, so a table compiled into it is the same everywhere, and an index into it is a
// stable name. (spawn() does the same more generally: it ships a function's offset within the
// program and checks it against the spawn entries the program registered.)
#include <constellation/constellation.hpp>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

using constellation::pid;
using namespace constellation::literals;

struct job_function {
  std::string_view name;
  std::uint64_t (*run)(std::uint64_t);
};
// The registered job functions; job::function is an index into this table.
constexpr std::array<job_function, 3> job_table{{
    {"square", [](std::uint64_t n) { return n * n; }},
    {"fibonacci",
     [](std::uint64_t n) {
       std::uint64_t a = 0, b = 1;
       for (; n > 0; --n) b = std::exchange(a, b) + b;
       return a;
     }},
    {"collatz_steps",
     [](std::uint64_t n) {
       std::uint64_t steps = 0;
       for (; n > 1; ++steps) n = n % 2 ? 3 * n + 1 : n / 2;
       return steps;
     }},
}};

struct job {
  std::uint64_t id = 0;
  std::uint8_t function = 0;
  std::uint64_t argument = 0;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(id, function, argument);
  }
};
struct job_result {
  std::uint64_t id = 0, value = 0;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(id, value);
  }
};

// Runs jobs until the pool sends an empty optional: the end of the stream.
void pool_worker(pid pool) {
  constellation::receiver<std::optional<job>> jobs(pool);
  constellation::sender<job_result> results(pool);
  while (const std::optional<job> j = jobs.recv())
    results.send({j->id, job_table.at(j->function).run(j->argument)});
}

class process_pool {
 public:
  explicit process_pool(int size) {
    for (int i = 0; i < size; ++i) {
      const pid w = constellation::spawn({.mem = 16_MiB, .cpu = 0.25}, pool_worker);
      to_workers_.emplace_back(w);
      from_workers_.emplace_back(w);
    }
  }
  // Ends every worker's job stream; a worker exits once it has seen the end.
  ~process_pool() {
    for (auto& to_worker : to_workers_) to_worker.send(std::nullopt);
  }

  // Runs each (function index, argument) on some worker; returns the results in the order given.
  // Each worker gets one job, then another each time it returns a result, so that faster workers
  // take more jobs. Blocks until all are done; throws channel_error if a worker dies.
  std::vector<std::uint64_t> run(std::span<const std::pair<std::uint8_t, std::uint64_t>> jobs) {
    const std::uint64_t first_id = next_id_;
    std::vector<std::uint64_t> results(jobs.size());
    std::size_t submitted = 0;
    auto submit_to = [&](std::size_t worker) {
      const auto [function, argument] = jobs[submitted++];
      to_workers_[worker].send(job{next_id_++, function, argument});
    };
    for (std::size_t w = 0; w < to_workers_.size() && submitted < jobs.size(); ++w) submit_to(w);
    for (std::size_t done = 0; done < jobs.size(); ++done) {
      const auto [worker, result] = constellation::select(std::span(from_workers_));
      results[result.id - first_id] = result.value;  // the id says where the result belongs
      if (submitted < jobs.size()) submit_to(worker);
    }
    return results;
  }

 private:
  std::vector<constellation::sender<std::optional<job>>> to_workers_;
  std::vector<constellation::receiver<job_result>> from_workers_;
  std::uint64_t next_id_ = 0;
};

int main(int argc, char** argv) {
  constellation::init();
  const int workers = argc > 1 ? std::atoi(argv[1]) : 3;
  if (workers < 1 || workers > 32) {
    std::cerr << "usage: process_pool [workers], workers in 1..32" << std::endl;
    return 2;
  }
  std::vector<std::pair<std::uint8_t, std::uint64_t>> batches[2];
  for (std::uint8_t i = 0; i < 20; ++i) batches[0].emplace_back(i % 3, 10 + i);
  for (std::uint8_t i = 0; i < 4; ++i) batches[1].emplace_back(1, 90 + i);

  bool all_right = true;
  process_pool pool(workers);
  for (const auto& batch : batches) {
    std::cout << "batch of " << batch.size() << " jobs on " << workers << " workers" << std::endl;
    const std::vector<std::uint64_t> results = pool.run(batch);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const auto& [name, run] = job_table[batch[i].first];
      const bool right = results[i] == run(batch[i].second);  // check against a local call
      all_right = all_right && right;
      std::cout << "  " << name << "(" << batch[i].second << ") = " << results[i]
                << (right ? "" : " WRONG") << std::endl;
    }
  }
  std::cout << (all_right ? "all results right" : "SOME RESULTS WRONG") << std::endl;
  return all_right ? 0 : 1;
}
