#pragma once
// One line per thing worth knowing, on stderr: for people, or as JSON for log collectors.

#include <string>
#include <string_view>

namespace constellation::cluster {

// What a daemon logs: -v adds debug lines, -q keeps warnings only.
enum class log_level { debug, info, warn };

class daemon_log {
 public:
  daemon_log(std::string daemon, bool json, log_level level = log_level::info)
      : daemon_(std::move(daemon)), json_(json), level_(level) {}
  void info(std::string_view message) const {
    if (level_ <= log_level::info) write("info", message);
  }
  void warn(std::string_view message) const { write("warn", message); }
  void debug(std::string_view message) const {
    if (level_ == log_level::debug) write("debug", message);
  }

 private:
  void write(std::string_view level, std::string_view message) const;
  std::string daemon_;
  bool json_;
  log_level level_;
};

}  // namespace constellation::cluster
