// constellation-fabric: the node daemon, and with a NODES_TOML also the cluster's master.
#include "fabric_daemon.hpp"

#include <cstdio>

int main(int argc, char** argv) {
  std::string error;
  auto arguments = constellation::fabric::parse_daemon_arguments({argv + 1, argv + argc}, error);
  if (!arguments) {
    std::fprintf(stderr, "constellation-fabric: %s\n", error.c_str());
    return 2;
  }
  if (arguments->help) {
    std::fputs(constellation::fabric::daemon_help, stdout);
    return 0;
  }
  return constellation::fabric::run_daemon(*arguments);
}
