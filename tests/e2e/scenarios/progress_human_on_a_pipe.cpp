// Progress lines are drawn only on a terminal: in the human format with stderr on a pipe, the
// command's output holds nothing of them.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <array>
#include <iostream>
#include <string_view>
#include <utility>

CONSTELLATION_SCENARIO(progress_human_on_a_pipe) {
  const std::array<std::pair<std::string_view, double>, 1> figures{{{"figure", 7}}};
  constellation::report_progress("progress text", figures);
  std::cout << "output line" << std::endl;
  constellation::report_progress("more progress text");
  (void)constellation::status(constellation::this_process::pid());  // both reports were taken
  return 0;
}
