#include "cluster/log.hpp"

#include "report/event_writer.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>

namespace constellation::cluster {

void daemon_log::write(std::string_view level, std::string_view message) const {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &utc);
  std::string line;
  if (json_) {
    nlohmann::ordered_json j;
    j["time"] = stamp;
    j["daemon"] = daemon_;
    j["level"] = level;
    j["message"] = message;
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  } else {
    line = std::string(stamp) + " " + daemon_ + " " + std::string(level) + ": " +
           std::string(message) + "\n";
  }
  report::write_all(2, line);
}

}  // namespace constellation::cluster
