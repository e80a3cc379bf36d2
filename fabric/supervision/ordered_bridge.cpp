#include "supervision/ordered_bridge.hpp"

#include "cluster/endpoint.hpp"

namespace constellation::fabric {

ordered_bridge::ordered_bridge(
    boost::asio::any_io_executor executor, const cluster::daemon_log& log,
    std::optional<std::string> program,
    std::function<std::vector<std::string>(const std::string& bind, const std::string& master)>
        arguments_for,
    bool secret_chosen)
    : executor_(std::move(executor)),
      log_(log),
      program_(std::move(program)),
      arguments_for_(std::move(arguments_for)),
      secret_chosen_(secret_chosen) {}

void ordered_bridge::order(const std::string& bind, const std::string& master) {
  if (bind == bind_ && master == master_) return;
  if (bridge_)
    log_.info("the bridge at " + bind_ + " is no longer wanted by the master: ending it");
  bridge_.reset();  // ends the bridge that ran before, if any
  bind_ = bind;
  master_ = master;
  if (bind.empty()) return;
  const auto at = cluster::parse_endpoint(bind);
  if (!at) {
    log_.warn("cannot run the bridge the master asked for at \"" + bind + "\": " + at.error());
    return;
  }
  if (!secret_chosen_ && !cluster::is_loopback(*at)) {
    log_.warn(
        "refusing to run a bridge at " + bind +
        " without a shared secret: deploy clients would send it binaries that this cluster runs. "
        "Start this daemon with --secret-file F, the cluster's secret");
    return;
  }
  if (!program_) {
    log_.warn("cannot run the bridge at " + bind +
              ": constellation-bridge is not beside this program");
    return;
  }
  bridge_.emplace(executor_, log_, *program_, arguments_for_(bind, master), bind);
  bridge_->start();
}

bool ordered_bridge::on_child_exit(pid_t pid, int wait_status) {
  return bridge_ && bridge_->on_child_exit(pid, wait_status);
}

void ordered_bridge::stop() {
  if (bridge_) bridge_->stop();
}

}  // namespace constellation::fabric
