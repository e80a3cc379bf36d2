// init() in a process that already runs a second thread throws std::logic_error: forking a
// process with threads is unsafe, so init() must be main's first statement.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <future>
#include <iostream>
#include <stdexcept>
#include <thread>

CONSTELLATION_SCENARIO_NO_INIT(init_after_thread) {
  // The thread stays alive until init() has answered.
  std::promise<void> release;
  std::thread waiting([released = release.get_future()] { released.wait(); });
  int code = 0;
  try {
    constellation::init();
    std::cout << "init() returned\n";
    code = 1;
  } catch (const std::logic_error& e) {
    std::cout << "logic_error: " << e.what() << "\n";
  }
  release.set_value();
  waiting.join();
  return code;
}
