#pragma once
// What constellation-deploy shows when a run ends for a reason other than the job's own exit: the
// bridge cannot be reached or authenticated, the connection was lost, the job could not run.
//
//   human: "constellation-deploy: <message>" on stderr
//   json:  {"event":"error","message":"<message>"} on stdout, as the last line, and nothing on
//          stderr: a program reading the JSON Lines learns in that stream why there is no more.
//
// The exit code is then 1, unless a process of the job failed: its code is more telling.
// Mistakes on the command line are shown on stderr in either format, before any output.

#include "report/event_writer.hpp"

#include <string>
#include <string_view>

namespace constellation::deploy {

// The JSON line of a problem, ending in "\n". Bad UTF-8 becomes U+FFFD.
std::string error_json_line(std::string_view message);

// Writes the problem where the format puts it (see above).
void show_problem(report::output_format format, std::string_view message);

// The exit code of a run that ended with a problem, given the job's exit_code_rule so far.
inline int exit_code_with_problem(int job_code) {
  return job_code != 0 ? job_code : 1;
}

}  // namespace constellation::deploy
