// The summing of job counters before they leave for the node agent, on a timer the test drives.
#include "runtime/counter_reporter.hpp"
#include "wire/counter_name.hpp"
#include "wire/messages.hpp"

#include <doctest/doctest.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

using namespace constellation;
using runtime::counter_reporter;

namespace {

std::map<std::string, double> sums(const std::string& frame) {
  const auto decoded = wire::decode_frame(frame);
  REQUIRE(decoded);
  REQUIRE(*decoded);
  CHECK((*decoded)->type == static_cast<std::uint8_t>(wire::message_type::counter_report));
  const auto r = wire::decode_message<wire::counter_report>((*decoded)->payload);
  REQUIRE(r);
  return {r->increments.begin(), r->increments.end()};
}

struct driven_reporter {
  std::vector<std::map<std::string, double>> sent;
  std::vector<std::pair<counter_reporter::clock::duration, std::function<void()>>> timers;
  counter_reporter reporter{{[this](const std::string& frame) { sent.push_back(sums(frame)); },
                             [this](counter_reporter::clock::duration d, std::function<void()> f) {
                               timers.emplace_back(d, std::move(f));
                             }}};
  void fire_timers() {
    auto due = std::move(timers);
    timers.clear();
    for (auto& [delay, f] : due) f();
  }
};

}  // namespace

TEST_CASE("counter reporter: additions are summed per name and leave once per interval") {
  driven_reporter d;
  for (int i = 0; i < 1000; ++i) d.reporter.add("records", 2);
  d.reporter.add("tasks", 1);
  CHECK(d.sent.empty());
  REQUIRE(d.timers.size() == 1);  // one timer for the whole burst
  CHECK(d.timers.front().first == counter_reporter::interval);
  d.fire_timers();
  REQUIRE(d.sent.size() == 1);
  CHECK(d.sent[0] == std::map<std::string, double>{{"records", 2000}, {"tasks", 1}});
  // Nothing new: nothing leaves; the next addition starts the next interval.
  d.fire_timers();
  CHECK(d.sent.size() == 1);
  d.reporter.add("tasks", 3);
  REQUIRE(d.timers.size() == 1);
  d.fire_timers();
  CHECK(d.sent.back() == std::map<std::string, double>{{"tasks", 3}});
}

TEST_CASE("counter reporter: what is pending leaves at exit without its timer") {
  driven_reporter d;
  d.reporter.add("bytes", 5);
  d.reporter.deliver_pending();
  REQUIRE(d.sent.size() == 1);
  CHECK(d.sent[0].at("bytes") == 5);
  d.fire_timers();  // the timer that was set finds nothing left
  CHECK(d.sent.size() == 1);
}

TEST_CASE("counter names: those that make a valid Prometheus metric name, and no more") {
  for (const char* good : {"records", "dataflow_shuffle_bytes", "a1", "x"})
    CHECK_MESSAGE(wire::is_counter_name(good), good);
  for (const char* bad : {"", "Records", "1st", "_x", "with-dash", "with space", "done_total", "ü"})
    CHECK_MESSAGE(!wire::is_counter_name(bad), bad);
  CHECK(wire::is_counter_name(std::string(64, 'a')));
  CHECK(!wire::is_counter_name(std::string(65, 'a')));
}
