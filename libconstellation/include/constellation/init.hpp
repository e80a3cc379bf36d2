#pragma once
// Starting the runtime, and what a process knows about itself.

#include <constellation/pid.hpp>
#include <constellation/resources.hpp>

namespace constellation {

// The first statement of main(). In the process the user started, it turns that process into the
// bridge (which shows every process's output and exit status and exits with the job's status) and
// returns in a child that runs the rest of main. In a spawned process it runs the spawned function
// and exits; it never returns there.
// Throws std::logic_error when called twice or after the process started threads.
void init(resources initial = {});

namespace this_process {
constellation::pid pid();              // std::logic_error before init()
constellation::resources resources();  // std::logic_error before init()
bool deployed();                       // true when started by a fabric
}  // namespace this_process

}  // namespace constellation
