// Progress reports in the JSON format: the top process reports a line with two figures, a child
// reports its own and ends without clearing it, and the top clears its line. Each report is a
// progress event of its process; the clear is one too.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <array>
#include <iostream>
#include <string_view>
#include <utility>

namespace {

using figure = std::pair<std::string_view, double>;

void child_step(constellation::pid parent) {
  const std::array<figure, 1> figures{{{"items", 42}}};
  constellation::report_progress("child step", figures);
  // A round trip on the same connection to the agent: the report has been taken when it returns,
  // so that it cannot be overtaken by this process's exit, which its monitor reports separately.
  (void)constellation::status(parent);
  constellation::sender<int>(parent).send(1);
}

}  // namespace

CONSTELLATION_SCENARIO(progress_events) {
  const std::array<figure, 2> figures{{{"done", 1}, {"total", 3}}};
  constellation::report_progress("working", figures);
  const auto child = constellation::spawn({}, child_step);
  std::cout << "child sent " << constellation::receiver<int>(child).recv() << std::endl;
  constellation::clear_progress();
  (void)constellation::status(child);  // as in child_step: the clear is taken before the exit
  return 0;
}
