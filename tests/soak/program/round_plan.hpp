#pragma once
// What one round of a soak job does, drawn from the job's seed before anything starts: how many
// senders, how much each sends, and who ends how. The top process holds the outcome against it.

#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace soak {

// How a sender ends. The first three end of their own accord (every message whose send returned
// must then arrive, and nothing more); the last two are killed (SIGKILL), so that only the count
// they reported before is sure to arrive.
enum class sender_fate : std::uint8_t {
  complete,    // sends all, returns
  exit_early,  // std::exit(0) at stop_at
  fail_early,  // std::exit(3) at stop_at: a failure its supervising parent takes
  kill_at,     // raises SIGKILL at stop_at, after noting what returned
  kill_async,  // a thread raises SIGKILL after delay_ms, whatever the sender is doing then
};

inline bool killed(sender_fate f) {
  return f == sender_fate::kill_at || f == sender_fate::kill_async;
}

inline const char* to_string(sender_fate f) {
  switch (f) {
    case sender_fate::complete:
      return "complete";
    case sender_fate::exit_early:
      return "exit_early";
    case sender_fate::fail_early:
      return "fail_early";
    case sender_fate::kill_at:
      return "kill_at";
    case sender_fate::kill_async:
      return "kill_async";
  }
  return "?";
}

inline constexpr std::uint64_t never = std::numeric_limits<std::uint64_t>::max();

struct sender_plan {
  std::uint64_t count = 0;       // messages it means to send
  std::uint64_t stop_at = 0;     // the message before which exit_early, fail_early, kill_at act
  std::uint32_t delay_ms = 0;    // kill_async's delay
  std::uint32_t padding = 0;     // bytes of padding per message
  std::uint32_t note_every = 1;  // a note to the top every that many returned sends
  sender_fate fate = sender_fate::complete;
  bool helper = false;  // spawns a grandchild first, which exits or is killed
  bool helper_killed = false;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(count, stop_at, delay_ms, padding, note_every, fate, helper, helper_killed);
  }
};

struct round_plan {
  std::vector<sender_plan> senders;
  std::uint64_t receiver_kill_after = never;  // the receiver raises SIGKILL after that many
  bool by_exec = false;                       // this round's processes start by exec, not fork
};

round_plan draw_round(std::mt19937_64& rng);

}  // namespace soak
