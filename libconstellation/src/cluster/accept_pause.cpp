#include "cluster/accept_pause.hpp"

namespace constellation::cluster {

void accept_pause::failed(const boost::system::error_code& ec, std::function<void()> retry) {
  const auto now = std::chrono::steady_clock::now();
  if (!failing_ || now - last_logged_ >= accept_log_interval) {
    std::string line = "cannot accept " + what_ + ": " + ec.message();
    if (unlogged_ > 0)
      line += " (and " + std::to_string(unlogged_) + " more failures since the last line)";
    line += "; trying again every " + std::to_string(accept_retry_pause.count()) + " ms";
    log_.warn(line);
    last_logged_ = now;
    unlogged_ = 0;
  } else {
    ++unlogged_;
  }
  failing_ = true;
  timer_.expires_after(accept_retry_pause);
  timer_.async_wait([retry = std::move(retry)](const boost::system::error_code& wait_ec) {
    if (!wait_ec) retry();
  });
}

void accept_pause::succeeded() {
  if (failing_ && unlogged_ > 0)
    log_.warn("accepting " + what_ + " again, after " + std::to_string(unlogged_) +
              " more failures");
  else if (failing_)
    log_.info("accepting " + what_ + " again");
  failing_ = false;
  unlogged_ = 0;
}

}  // namespace constellation::cluster
