#include "runtime/progress_reporter.hpp"

#include <constellation/progress.hpp>

#include "runtime/process_state.hpp"

namespace constellation::runtime {

void progress_reporter::report(wire::progress_report r) {
  std::lock_guard lock(mutex_);
  const bool clear = r.clear;
  pending_ = wire::encode_message(r);
  pending_clear_ = clear;
  if (clear) {
    if (shown_) return send_pending(hooks_.now());
    pending_.reset();  // nothing shown, nothing to clear: only the pending report goes
    return;
  }
  if (flush_scheduled_) return;  // the scheduled flush takes the latest
  const auto now = hooks_.now();
  if (!last_sent_ || now - *last_sent_ >= interval) return send_pending(now);
  flush_scheduled_ = true;
  hooks_.run_after(*last_sent_ + interval - now, [this] { deliver_pending(); });
}

void progress_reporter::deliver_pending() {
  std::lock_guard lock(mutex_);
  flush_scheduled_ = false;
  if (pending_) send_pending(hooks_.now());
}

void progress_reporter::send_pending(clock::time_point now) {
  last_sent_ = now;
  const auto frame = std::move(*pending_);
  pending_.reset();
  shown_ = !pending_clear_;
  hooks_.send(frame);
}

}  // namespace constellation::runtime

namespace constellation {

void report_progress(std::string_view text,
                     std::span<const std::pair<std::string_view, double>> figures) {
  auto& state = runtime::require_process("constellation::report_progress()");
  wire::progress_report r;
  r.text = text;
  r.figures.reserve(figures.size());
  for (const auto& [name, value] : figures) r.figures.emplace_back(std::string(name), value);
  state.progress->report(std::move(r));
}

void clear_progress() {
  runtime::require_process("constellation::clear_progress()")
      .progress->report(wire::progress_report{true, {}, {}});
}

}  // namespace constellation
