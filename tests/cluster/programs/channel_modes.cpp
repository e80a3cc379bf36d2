// A process whose channel listeners a test attacks (hostile_peers_test.cpp), and the peers that
// must still reach it afterwards, one on its node (the Unix socket) and one on another (TCP).
#include "programs/modes.hpp"

#include <constellation/detail/serialization.hpp>

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

namespace cluster_programs {

using constellation::pid;
using namespace constellation::literals;

namespace {

// Prints "target SYSTEM_PID PID_HEX" (its pid serialized, in hex: what a peer needs to find its
// listeners) once the first word from its parent brought their link up, then answers each client
// its parent names, until the parent names none.
void target(pid parent) {
  constellation::receiver<pid> from_parent(parent);
  from_parent.recv();
  std::string hex;
  for (unsigned char c :
       constellation::detail::serialize_value(constellation::this_process::pid())) {
    char digits[3];
    std::snprintf(digits, sizeof digits, "%02x", c);
    hex += digits;
  }
  std::cout << "target " << ::getpid() << " " << hex << std::endl;
  while (const pid client = from_parent.recv()) {
    const int request = constellation::receiver<int>(client).recv();
    constellation::sender<int>(client).send(request + 1);
  }
}

// Asks the target once and tells its parent the answer.
void client(pid parent, pid server) {
  constellation::sender<int>(server).send(41);
  constellation::sender<int>(parent).send(constellation::receiver<int>(server).recv());
}

}  // namespace

int channel_target() {
  // The target takes most of the first node, where this top process runs too: "near" fits beside
  // them, "far" only on the second node.
  const pid server = constellation::spawn({.mem = 1536_MiB, .cpu = 1.5}, target);
  constellation::sender<pid> to_server(server);
  to_server.send(server);
  std::cout << "ready" << std::endl;
  std::string line;
  std::getline(std::cin, line);  // the test attacks the target meanwhile
  const std::pair<const char*, constellation::resources> clients[] = {
      {"near", {.mem = 64_MiB, .cpu = 0.0625}}, {"far", {.mem = 900_MiB, .cpu = 0.9}}};
  for (const auto& [name, needs] : clients) {
    const pid c = constellation::spawn(needs, client, server);
    to_server.send(c);
    std::cout << name << " answered " << constellation::receiver<int>(c).recv() << std::endl;
  }
  to_server.send(pid{});
  return 0;
}

}  // namespace cluster_programs
