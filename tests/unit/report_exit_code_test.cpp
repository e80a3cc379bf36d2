#include "report/exit_code.hpp"
#include "runtime/pid_access.hpp"

#include <doctest/doctest.h>

#include <csignal>

#include <sys/wait.h>

using namespace constellation;
using namespace constellation::report;

namespace {

pid exit_test_pid(std::uint32_t serial) {
  return detail::pid_access::make(0xabc, serial, 0x7f000001, 4000);
}

exit_event code(pid p, int value) {
  return {p, {exit_status::kind::code, value}, {}};
}
exit_event killed(pid p, int signal) {
  return {p, {exit_status::kind::signal, signal}, {}};
}

}  // namespace

TEST_CASE("exit code: 0 when every process exits with 0") {
  const pid top = exit_test_pid(1), a = exit_test_pid(2);
  exit_code_rule rule;
  CHECK(rule.exit_code() == 0);
  for (const process_event& e :
       std::initializer_list<process_event>{spawn_event{pid{}, top}, spawn_event{top, a},
                                            output_event{a, 1, "x"}, code(a, 0), code(top, 0)}) {
    rule.observe(e);
  }
  CHECK(rule.exit_code() == 0);
}

TEST_CASE("exit code: the top process's own code") {
  const pid top = exit_test_pid(1), a = exit_test_pid(2);
  exit_code_rule rule;
  rule.observe(spawn_event{pid{}, top});
  rule.observe(spawn_event{top, a});
  rule.observe(code(a, 0));
  rule.observe(code(top, 3));
  CHECK(rule.exit_code() == 3);
}

TEST_CASE("exit code: the top process killed by SIGABRT gives 134") {
  const pid top = exit_test_pid(1);
  exit_code_rule rule;
  rule.observe(spawn_event{pid{}, top});
  rule.observe(killed(top, SIGABRT));
  CHECK(rule.exit_code() == 134);
}

TEST_CASE("exit code: the top's failure wins over a child's earlier one") {
  const pid top = exit_test_pid(1), a = exit_test_pid(2);
  exit_code_rule rule;
  rule.observe(spawn_event{pid{}, top});
  rule.observe(spawn_event{top, a});
  rule.observe(code(a, 5));
  rule.observe(code(top, 2));
  CHECK(rule.exit_code() == 2);
}

TEST_CASE("exit code: a child's failure when the top succeeded") {
  const pid top = exit_test_pid(1), a = exit_test_pid(2);
  exit_code_rule rule;
  rule.observe(spawn_event{pid{}, top});
  rule.observe(spawn_event{top, a});
  rule.observe(killed(a, SIGKILL));
  rule.observe(code(top, 0));
  CHECK(rule.exit_code() == 128 + SIGKILL);
}

TEST_CASE("exit code: of two failing children, the first seen") {
  const pid top = exit_test_pid(1), a = exit_test_pid(2), b = exit_test_pid(3);
  exit_code_rule rule;
  rule.observe(spawn_event{pid{}, top});
  rule.observe(spawn_event{top, a});
  rule.observe(spawn_event{top, b});
  rule.observe(code(b, 7));
  rule.observe(code(a, 4));
  rule.observe(code(top, 0));
  CHECK(rule.exit_code() == 7);
}

TEST_CASE("exit status: from a wait status, and its names") {
  CHECK(exit_status::from_wait_status(W_EXITCODE(3, 0)) == exit_status{exit_status::kind::code, 3});
  CHECK(exit_status::from_wait_status(W_EXITCODE(0, 0)).success());
  const auto aborted = exit_status::from_wait_status(W_EXITCODE(0, SIGABRT));
  CHECK(aborted == exit_status{exit_status::kind::signal, SIGABRT});
  CHECK(aborted.shell_code() == 134);
  CHECK(to_string(aborted) == "SIGABRT");
  CHECK(to_string(exit_status{exit_status::kind::code, 3}) == "3");
  CHECK(signal_name(SIGKILL) == "SIGKILL");
  CHECK(signal_name(SIGTERM) == "SIGTERM");
  CHECK(signal_name(SIGSEGV) == "SIGSEGV");
  CHECK(signal_name(38) == "SIG38");
}

TEST_CASE("exit code: a trapped child's failure does not count") {
  const pid top = exit_test_pid(1), a = exit_test_pid(2), b = exit_test_pid(3);
  exit_code_rule rule;
  rule.observe(spawn_event{pid{}, top});
  rule.observe(spawn_event{top, a, /*trapped=*/true});
  rule.observe(killed(a, SIGKILL));
  rule.observe(code(top, 0));
  CHECK(rule.exit_code() == 0);

  SUBCASE("an untrapped failure after it still counts") {
    rule.observe(spawn_event{top, b});
    rule.observe(code(b, 5));
    CHECK(rule.exit_code() == 5);
  }
  SUBCASE("the trapped child's exit before its spawn event is still ignored") {
    exit_code_rule early;
    early.observe(spawn_event{pid{}, top});
    early.observe(code(a, 3));
    early.observe(spawn_event{top, a, true});
    CHECK(early.exit_code() == 0);
  }
  SUBCASE("a failing top still decides") {
    exit_code_rule failing;
    failing.observe(spawn_event{pid{}, top});
    failing.observe(spawn_event{top, a, true});
    failing.observe(code(a, 3));
    failing.observe(code(top, 2));
    CHECK(failing.exit_code() == 2);
  }
}
