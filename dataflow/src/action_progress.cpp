#include "action_progress.hpp"

#include <constellation/progress.hpp>

#include <array>
#include <cstdio>
#include <utility>

namespace constellation::dataflow::detail {

namespace {
constexpr auto report_interval = std::chrono::milliseconds(100);

std::string human_bytes(std::uint64_t n) {
  static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(n);
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(units)) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return text;
}
}  // namespace

action_progress::action_progress(bool enabled, const char* action)
    : enabled_(enabled), action_(action) {}

action_progress::~action_progress() {
  if (shown_) clear_progress();
}

void action_progress::stage(std::size_t number, std::size_t stages, const std::string& kind,
                            std::size_t tasks) {
  stage_ = number;
  stages_ = stages;
  kind_ = kind;
  tasks_ = tasks;
  done_ = 0;
  report(true);
}

void action_progress::task_done(std::uint64_t records_in, std::uint64_t shuffle_bytes,
                                std::uint64_t spill_bytes, std::uint64_t result_bytes) {
  ++done_;
  records_in_ += records_in;
  shuffle_bytes_ += shuffle_bytes;
  spill_bytes_ += spill_bytes;
  result_bytes_ += result_bytes;
  report(done_ == tasks_);
}

void action_progress::report(bool now) {
  if (!enabled_) return;
  const auto at = std::chrono::steady_clock::now();
  if (!now && at - last_report_ < report_interval) return;
  last_report_ = at;
  const double elapsed = std::chrono::duration<double>(at - started_).count();
  char timing[32];
  std::snprintf(timing, sizeof timing, "%.1f s", elapsed);
  const std::string text = action_ + ": stage " + std::to_string(stage_) + "/" +
                           std::to_string(stages_) + " (" + kind_ + ") tasks " +
                           std::to_string(done_) + "/" + std::to_string(tasks_) + ", " +
                           std::to_string(records_in_) + " records in, shuffle " +
                           human_bytes(shuffle_bytes_) + ", spill " + human_bytes(spill_bytes_) +
                           ", results " + human_bytes(result_bytes_) + ", " + timing;
  const std::array<std::pair<std::string_view, double>, 9> figures{{
      {"stage", double(stage_)},
      {"stages", double(stages_)},
      {"tasks_done", double(done_)},
      {"tasks", double(tasks_)},
      {"records_in", double(records_in_)},
      {"shuffle_bytes", double(shuffle_bytes_)},
      {"spill_bytes", double(spill_bytes_)},
      {"result_bytes", double(result_bytes_)},
      {"elapsed_seconds", elapsed},
  }};
  report_progress(text, figures);
  shown_ = true;
}

}  // namespace constellation::dataflow::detail
