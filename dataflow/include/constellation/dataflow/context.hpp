#pragma once
// The driver's side of a dataflow job: it starts the workers, plans stages and runs actions.

#include <constellation/dataflow/dataset.hpp>
#include <constellation/dataflow/options.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace constellation::dataflow {

class context {
 public:
  // Starts the workers (spawn() after constellation::init()). Throws job_error when none can be
  // started, std::logic_error before init().
  explicit context(options o = {});
  // Ends the workers; they exit with status 0. Datasets of this context outlive it only as
  // handles: their actions throw job_error.
  ~context();
  context(const context&) = delete;
  context& operator=(const context&) = delete;

  // items cut into contiguous slices, in order (partitions 0: options::partitions or two per
  // worker).
  template <class T>
  dataset<T> parallelize(std::vector<T> items, std::size_t partitions = 0) {
    auto shared = std::make_shared<const std::vector<T>>(std::move(items));
    return dataset<T>(std::make_shared<detail::parallelize_node<T>>(driver_, std::move(shared),
                                                                    choose(partitions)));
  }
  // begin, begin + 1, ..., end - 1, in contiguous slices.
  dataset<std::uint64_t> range(std::uint64_t begin, std::uint64_t end, std::size_t partitions = 0);
  // One element per line (without '\n') of a file, or of a directory's regular files in name order
  // (not recursive; names starting with '.' or '_' skipped), split by byte ranges on line
  // boundaries. Throws job_error naming the path when it is missing. In a cluster the path must be
  // readable at the same place on every node.
  dataset<std::string> text_file(const std::string& path, std::size_t partitions = 0);

  std::size_t workers() const;

 private:
  std::size_t choose(std::size_t partitions) const;
  std::shared_ptr<detail::driver> driver_;
};

}  // namespace constellation::dataflow
