#include "recce_output.hpp"

#include <doctest/doctest.h>

using namespace constellation;
using namespace constellation::bridge;

TEST_CASE("parse_recce_output reads what init() prints") {
  const auto r = parse_recce_output("{\"mem\":104857600,\"cpu\":0.0625}\n");
  REQUIRE(r.has_value());
  CHECK(r->mem == 100 * MiB);
  CHECK(r->cpu == 0.0625);
  CHECK(parse_recce_output(to_json(resources{.mem = 3 * GiB, .cpu = 2})) ==
        resources{.mem = 3 * GiB, .cpu = 2});
}

TEST_CASE("parse_recce_output takes the last line, after what static constructors printed") {
  const auto r = parse_recce_output("starting up\n\n{\"mem\":1024,\"cpu\":1}\r\n\n");
  REQUIRE(r.has_value());
  CHECK(r->mem == 1024);
  CHECK(r->cpu == 1.0);
}

TEST_CASE("parse_recce_output says what was printed instead") {
  CHECK(parse_recce_output("").error() == "it printed nothing");
  CHECK(parse_recce_output(" \n\n").error() == "it printed nothing");
  CHECK(parse_recce_output("hello\n").error() ==
        "it printed \"hello\", not {\"mem\":...,\"cpu\":...}");
  CHECK(parse_recce_output("[1,2]").error().find("not {\"mem\"") != std::string::npos);
  CHECK(parse_recce_output("{\"mem\":1}").error().find("lacks \"cpu\"") != std::string::npos);
  CHECK(parse_recce_output("{\"cpu\":1}").error().find("lacks \"mem\"") != std::string::npos);
  CHECK(parse_recce_output("{\"mem\":-1,\"cpu\":1}").error().find("\"mem\" must be") !=
        std::string::npos);
  CHECK(parse_recce_output("{\"mem\":0,\"cpu\":1}").error().find("\"mem\" must be") !=
        std::string::npos);
  CHECK(parse_recce_output("{\"mem\":1.5,\"cpu\":1}").error().find("\"mem\" must be") !=
        std::string::npos);
  CHECK(parse_recce_output("{\"mem\":1,\"cpu\":0}").error().find("\"cpu\" must be") !=
        std::string::npos);
  CHECK(parse_recce_output("{\"mem\":1,\"cpu\":\"2\"}").error().find("\"cpu\" must be") !=
        std::string::npos);
}

TEST_CASE("parse_recce_output cuts a long line in its message") {
  const std::string long_line(500, 'x');
  const auto error = parse_recce_output(long_line).error();
  CHECK(error.size() < 200);
  CHECK(error.find("xxx...\"") != std::string::npos);
}

TEST_CASE("judge_recce names the cause and the likely fix") {
  const std::string hint = ": does main() call constellation::init() first?";
  recce_run run;
  run.out = "{\"mem\":2048,\"cpu\":0.25}\n";
  run.status = report::exit_status{};
  CHECK(judge_recce(run) == resources{.mem = 2048, .cpu = 0.25});

  run.out = "hello\n";
  CHECK(judge_recce(run).error() ==
        "the program did not report its resources (it printed \"hello\", not "
        "{\"mem\":...,\"cpu\":...})" +
            hint);

  run.out.clear();
  run.status = report::exit_status{report::exit_status::kind::code, 3};
  run.err = "\nfatal: no config\nmore\n";
  CHECK(judge_recce(run).error() ==
        "the program did not report its resources (it exited with status 3 after writing \"fatal: "
        "no config\" on "
        "stderr)" +
            hint);

  run.err.clear();
  run.status = report::exit_status{report::exit_status::kind::signal, 11};
  CHECK(judge_recce(run).error() ==
        "the program did not report its resources (it was killed by SIGSEGV)" + hint);

  recce_run slow;
  slow.timed_out = true;
  CHECK(judge_recce(slow).error() ==
        "the program did not report its resources (it was still running after 10 s)" + hint);
  slow.time_limit = std::chrono::milliseconds(250);
  CHECK(judge_recce(slow).error().find("after 250 ms") != std::string::npos);

  recce_run chatty;
  chatty.too_much_output = true;
  CHECK(judge_recce(chatty).error().find("kept printing") != std::string::npos);
}

TEST_CASE("judge_recce takes resources that parse whatever the exit status") {
  recce_run run;
  run.out = "{\"mem\":2048,\"cpu\":1}\n";
  run.status = report::exit_status{report::exit_status::kind::signal, 6};
  CHECK(judge_recce(run).has_value());
}
