#pragma once
// Everything a monitor needs to start the process it watches. A node agent writes it into a
// memory file that the re-executed program reads in init(); a master sends it to the node that
// runs the process (cluster_messages.hpp).

#include <constellation/pid.hpp>
#include <constellation/resources.hpp>

#include "identity/code_identity.hpp"

#include <cstdint>
#include <string>

namespace constellation::wire {

struct launch_spec {
  enum class kind : std::uint8_t {
    top,       // the job's first process: init() returns and main() goes on
    function,  // a spawned process: init() runs the entry and exits
  };
  kind what = kind::function;
  pid self;
  pid parent;
  resources needs;
  identity::code_identity entry;
  identity::code_identity function;
  std::string arguments;
  std::string job_secret;  // authenticates channel connections within the job
  bool deployed = false;
  bool enforce_limits = false;
  bool trapped = false;  // the parent takes charge of this process's failure (spawn_event::trapped)
  bool fresh_exec = false;  // executed afresh rather than forked by a fork server (spawn.hpp)

  template <class Archive>
  void serialize(Archive& a) {
    a(what, self, parent, needs, entry, function, arguments, job_secret, deployed, enforce_limits,
      trapped, fresh_exec);
  }
};

}  // namespace constellation::wire
