// The coalescing of progress reports, on a clock and a timer the test drives.
#include "runtime/progress_reporter.hpp"

#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

using namespace constellation;
using runtime::progress_reporter;

namespace {

std::string shown(const std::string& frame) {
  const auto decoded = wire::decode_frame(frame);
  REQUIRE(decoded);
  REQUIRE(*decoded);
  CHECK((*decoded)->type == static_cast<std::uint8_t>(wire::message_type::progress));
  const auto r = wire::decode_message<wire::progress_report>((*decoded)->payload);
  REQUIRE(r);
  return r->clear ? "(clear)" : r->text;
}

struct driven_reporter {
  progress_reporter::clock::time_point now{std::chrono::seconds(1000)};
  std::vector<std::string> sent;  // the texts, "(clear)" for a clear
  std::vector<std::pair<progress_reporter::clock::duration, std::function<void()>>> timers;
  progress_reporter reporter{
      {[this](const std::string& frame) { sent.push_back(shown(frame)); },
       [this](progress_reporter::clock::duration d, std::function<void()> f) {
         timers.emplace_back(d, std::move(f));
       },
       [this] { return now; }}};

  void text(std::string t) { reporter.report({false, std::move(t), {}}); }
  void clear() { reporter.report({true, {}, {}}); }
  void fire_timers() {
    auto due = std::move(timers);
    timers.clear();
    for (auto& [delay, f] : due) {
      now += delay;
      f();
    }
  }
};

}  // namespace

TEST_CASE(
    "progress reporter: the first report leaves at once, a burst after it becomes its latest") {
  driven_reporter d;
  d.text("1");
  CHECK(d.sent == std::vector<std::string>{"1"});
  d.now += std::chrono::milliseconds(10);
  d.text("2");
  d.text("3");
  d.text("4");
  CHECK(d.sent.size() == 1);
  REQUIRE(d.timers.size() == 1);  // one timer for the whole burst
  CHECK(d.timers.front().first == std::chrono::milliseconds(90));
  d.fire_timers();
  CHECK(d.sent == std::vector<std::string>{"1", "4"});
  d.now += progress_reporter::interval;
  d.text("5");  // an interval later: at once
  CHECK(d.sent.back() == "5");
  CHECK(d.timers.empty());
}

TEST_CASE("progress reporter: a clear leaves at once and drops the pending report") {
  driven_reporter d;
  d.text("1");
  d.text("2");
  d.clear();
  CHECK(d.sent == std::vector<std::string>{"1", "(clear)"});
  d.fire_timers();  // the pending "2" was dropped
  CHECK(d.sent == std::vector<std::string>{"1", "(clear)"});
  d.clear();  // nothing shown: nothing to send
  CHECK(d.sent.size() == 2);
}

TEST_CASE("progress reporter: at exit the pending report is delivered") {
  driven_reporter d;
  d.text("1");
  d.text("2");
  d.reporter.deliver_pending();
  CHECK(d.sent == std::vector<std::string>{"1", "2"});
  d.fire_timers();  // the timer finds nothing left
  CHECK(d.sent.size() == 2);
}
