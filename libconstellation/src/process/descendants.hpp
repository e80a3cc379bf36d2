#pragma once
// The processes below a process in the tree, found through /proc: what a monitor must end along
// with its process (helpers the user's code started with fork() or system()).

#include <sys/types.h>

#include <vector>

namespace constellation::process {

// Every live process whose chain of parents reaches root, root excluded.
std::vector<pid_t> descendants_of(pid_t root);

// Sends signal to every descendant of root; returns how many there were.
std::size_t signal_descendants(pid_t root, int signal);

}  // namespace constellation::process
