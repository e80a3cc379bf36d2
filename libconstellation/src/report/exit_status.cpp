#include "report/process_event.hpp"

#include <string.h>  // sigabbrev_np, a GNU extension (glibc 2.32+)
#include <sys/wait.h>

namespace constellation::report {

exit_status exit_status::from_wait_status(int status) {
  if (WIFSIGNALED(status)) return {kind::signal, WTERMSIG(status)};
  if (WIFEXITED(status)) return {kind::code, WEXITSTATUS(status)};
  // Stopped or continued: not an end. Callers only pass statuses of processes that ended, so this
  // is a caller's bug; report it as a failure rather than as success.
  return {kind::code, 1};
}

std::string signal_name(int signal) {
  // sigabbrev_np gives "ABRT" for the named signals and null for the rest (real-time ones).
  if (const char* abbrev = ::sigabbrev_np(signal)) return std::string("SIG") + abbrev;
  return "SIG" + std::to_string(signal);
}

std::string to_string(const exit_status& s) {
  return s.how == exit_status::kind::code ? std::to_string(s.value) : signal_name(s.value);
}

}  // namespace constellation::report
