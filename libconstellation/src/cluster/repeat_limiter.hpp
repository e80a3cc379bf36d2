#pragma once
// Keeps a daemon's log readable when the same thing happens again and again (a peer retrying with
// the wrong secret every second, a scanner knocking): the first occurrence per key is logged, the
// next ones within an interval are only counted, and the first one after it is logged with that
// count. Pure: the caller passes the time, so tests need no clock and no sockets.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace constellation::cluster {

class repeat_limiter {
 public:
  using clock = std::chrono::steady_clock;

  // interval: the least time between two lines for one key. max_keys bounds the memory a stream
  // of distinct keys (peers) can take: beyond it, keys quiet for an interval are forgotten.
  explicit repeat_limiter(clock::duration interval, std::size_t max_keys = 4096)
      : interval_(interval), max_keys_(max_keys) {}

  struct verdict {
    bool log = false;             // write this occurrence's line
    std::uint64_t held_back = 0;  // occurrences not logged since the key's last line
  };
  // Counts one occurrence of key at now.
  verdict occurred(const std::string& key, clock::time_point now);

  // " (and N more like it since the last such line)" for a line whose verdict held some back;
  // empty otherwise.
  static std::string note(const verdict& v);

 private:
  struct entry {
    clock::time_point last_logged;
    std::uint64_t held_back = 0;
  };
  void forget_quiet(clock::time_point now);

  clock::duration interval_;
  std::size_t max_keys_;
  std::map<std::string, entry> entries_;
};

}  // namespace constellation::cluster
