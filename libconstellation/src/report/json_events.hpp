#pragma once
// Process events as JSON Lines, one object per event, for programs that read the bridge's output:
//
//   {"event":"spawn","pid":"<parent>","child":"<child>"}       "pid":null for the top process
//   {"event":"output","pid":"<pid>","fd":1,"data":"<base64 of the bytes>"}
//   {"event":"output","pid":"<pid>","fd":1,"eof":true}
//   {"event":"progress","pid":"<pid>","text":"sorting","done":3,"total":10}
//   {"event":"progress","pid":"<pid>","clear":true}
//   {"event":"exit","pid":"<pid>","status":3}                   or "signal":"SIGABRT"
//
// A spawn of a trapped child (its parent called this_process::trap_exits(), so the child's failure
// does not decide the job's exit status) ends with "trapped":true. A progress report has its
// figures after its text, each as "name": number (null when not finite), in the order given; a
// figure named like one of the keys before it is left out. A clear removes the process's line; a
// process's exit removes it too. An exit with a reason ends with "reason":"...". Keys appear in
// the order shown. Readers must skip events they do not know: new kinds may be added.

#include "report/process_event.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace constellation::report {

// One line, ending in "\n". Does not throw on bad UTF-8 in a reason: such bytes become U+FFFD.
std::string to_json_line(const process_event& e);

// An event read back from a line. Pids stay strings: a pid cannot be rebuilt from its name.
struct json_event {
  std::string event;               // "spawn", "output", "progress" or "exit"
  std::optional<std::string> pid;  // empty only for the spawn of the top process
  std::string child;               // spawn
  bool trapped = false;            // spawn
  int fd = 0;                      // output
  std::string data;                // output: the decoded bytes
  bool eof = false;                // output
  std::optional<int> status;       // exit by a code
  std::string signal;              // exit by a signal
  std::string reason;              // exit, may be empty
  bool clear = false;              // progress
  std::string text;                // progress
  std::vector<std::pair<std::string, double>> figures;  // progress, sorted by name

  friend bool operator==(const json_event&, const json_event&) = default;
};

// The event on line (a trailing newline is allowed); nullopt when the line is not valid JSON or
// lacks a field its event requires, or names an event this reader does not know. Unknown keys are
// ignored, so that older readers accept lines from newer writers.
std::optional<json_event> parse_json_line(std::string_view line);

}  // namespace constellation::report
