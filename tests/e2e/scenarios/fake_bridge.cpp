// Not a constellation program: it prints its arguments as the lines a bridge would print, so that
// the runner's own checks can be tried on event streams the runtime never produces (see
// ../self_checks/). An argument "stderr:TEXT" writes TEXT to stderr instead; the argument
// "leave_a_process" starts a process that outlives the command by 20 s.
#include "scenario.hpp"

#include <unistd.h>

#include <cstdio>
#include <string_view>

CONSTELLATION_SCENARIO_NO_INIT(fake_bridge) {
  const auto argv = e2e::program_arguments();
  for (std::size_t i = 2; i < argv.size(); ++i) {
    const std::string_view line = argv[i];
    if (line == "leave_a_process") {
      std::fflush(nullptr);
      if (::fork() == 0) {
        // Away from the command's pipes and process group, as a daemon would be.
        ::setsid();
        for (int fd = 0; fd <= 2; ++fd) ::close(fd);
        ::sleep(20);
        ::_exit(0);
      }
    } else if (line.starts_with("stderr:")) {
      std::fprintf(stderr, "%s\n", argv[i] + 7);
    } else {
      std::printf("%s\n", argv[i]);
    }
  }
  return 0;
}
