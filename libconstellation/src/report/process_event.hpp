#pragma once
// What the bridge learns about each process: its spawn, its output, its progress, and its end.

#include <constellation/pid.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace constellation::report {

// How a process ended: an exit code, or the signal that killed it.
struct exit_status {
  enum class kind : std::uint8_t { code, signal };
  kind how = kind::code;
  int value = 0;

  bool success() const { return how == kind::code && value == 0; }
  // The shell's convention: the code itself, or 128 + the signal number.
  int shell_code() const { return how == kind::code ? value : 128 + value; }
  static exit_status from_wait_status(int status);  // as returned by waitpid()
  friend bool operator==(const exit_status&, const exit_status&) = default;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(how, value);
  }
};

// "SIGABRT" for 6; "SIG38" for a signal without a name.
std::string signal_name(int signal);
// "3", or the signal's name.
std::string to_string(const exit_status& s);

struct spawn_event {
  pid parent;  // null for the job's top process
  pid child;
  // The parent called this_process::trap_exits() before spawning the child: it takes charge of
  // the child's failure, which therefore does not decide the job's exit status.
  bool trapped = false;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(parent, child, trapped);
  }
};

struct output_event {
  pid process;
  int fd = 1;        // 1 or 2
  std::string data;  // raw bytes as the process wrote them
  template <class Archive>
  void serialize(Archive& archive) {
    archive(process, fd, data);
  }
};

struct eof_event {
  pid process;
  int fd = 1;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(process, fd);
  }
};

struct exit_event {
  pid process;
  exit_status status;
  std::string
      reason;  // why the runtime ended it, e.g. "memory limit of 100 MiB exceeded"; may be empty
  template <class Archive>
  void serialize(Archive& archive) {
    archive(process, status, reason);
  }
};

// A process's live status line (report_progress), or its removal (clear_progress). Only the
// latest of a process counts: a consumer keeps one per process, never a queue of them.
struct progress_event {
  pid process;
  bool clear = false;  // the line goes away; text and figures are empty
  std::string text;
  std::vector<std::pair<std::string, double>> figures;  // in the order the process gave them
  template <class Archive>
  void serialize(Archive& archive) {
    archive(process, clear, text, figures);
  }
  friend bool operator==(const progress_event&, const progress_event&) = default;
};

using process_event =
    std::variant<spawn_event, output_event, eof_event, exit_event, progress_event>;

}  // namespace constellation::report
