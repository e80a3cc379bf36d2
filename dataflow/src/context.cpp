#include <constellation/dataflow/context.hpp>

#include "driver.hpp"

namespace constellation::dataflow {

context::context(options o) : driver_(std::make_shared<detail::driver>(o)) {
  driver_->start();
}

context::~context() {
  driver_->shutdown();
}

std::size_t context::workers() const {
  return driver_->workers();
}

std::size_t context::choose(std::size_t partitions) const {
  return partitions != 0 ? partitions : driver_->default_partitions();
}

dataset<std::uint64_t> context::range(std::uint64_t begin, std::uint64_t end,
                                      std::size_t partitions) {
  return dataset<std::uint64_t>(
      std::make_shared<detail::range_node>(driver_, begin, end, choose(partitions)));
}

dataset<std::string> context::text_file(const std::string& path, std::size_t partitions) {
  return dataset<std::string>(std::make_shared<detail::text_file_node>(
      driver_, detail::split_text_input(path, choose(partitions))));
}

}  // namespace constellation::dataflow
