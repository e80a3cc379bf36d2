#pragma once
// One line per thing worth knowing, on stderr: for people, or as JSON for log collectors.

#include <string>
#include <string_view>

namespace constellation::cluster {

class daemon_log {
 public:
  daemon_log(std::string daemon, bool json, bool verbose) : daemon_(std::move(daemon)), json_(json), verbose_(verbose) {}
  void info(std::string_view message) const { write("info", message); }
  void warn(std::string_view message) const { write("warn", message); }
  void debug(std::string_view message) const {
    if (verbose_) write("debug", message);
  }

 private:
  void write(std::string_view level, std::string_view message) const;
  std::string daemon_;
  bool json_;
  bool verbose_;
};

}  // namespace constellation::cluster
