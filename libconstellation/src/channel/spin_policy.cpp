#include "channel/spin_policy.hpp"

#include "posix/unique_fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

namespace constellation::channel {

namespace {

std::chrono::microseconds configured_bound() {
  static const auto bound = [] {
    const char* v = std::getenv("CONSTELLATION_SPIN_US");
    return std::chrono::microseconds(v && *v ? std::strtol(v, nullptr, 10) : 50);
  }();
  return bound;
}

// Threads runnable on the whole machine, from /proc/loadavg ("0.50 0.40 0.30 3/512 1234": 3).
int runnable_threads() {
  const posix::unique_fd fd(::open("/proc/loadavg", O_RDONLY | O_CLOEXEC));
  if (!fd) return 0;
  char text[128];
  const ssize_t n = ::read(fd.get(), text, sizeof text - 1);
  if (n <= 0) return 0;
  text[n] = '\0';
  const char* field = text;
  for (int spaces = 0; *field && spaces < 3; ++field)
    if (*field == ' ') ++spaces;
  return static_cast<int>(std::strtol(field, nullptr, 10));
}

// Looked at every 20 ms at most, by whichever waiting thread finds the last look too old.
bool crowded() {
  static std::atomic<std::int64_t> looked_at{0};
  static std::atomic<bool> last{false};
  static const long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  auto before = looked_at.load(std::memory_order_relaxed);
  if (now - before > std::chrono::nanoseconds(std::chrono::milliseconds(20)).count() &&
      looked_at.compare_exchange_strong(before, now, std::memory_order_relaxed))
    last.store(runnable_threads() > cores + 1, std::memory_order_relaxed);
  return last.load(std::memory_order_relaxed);
}

// Of the last waits of this thread, the share (in 1/256) that the full bound's spin would have
// ended.
thread_local int paid_share = 256;

// Set once at start, before any channel waits, for a process whose CPU time is limited below a
// core.
std::atomic<bool> below_one_core{false};

}  // namespace

std::chrono::microseconds spin_policy::bound() {
  auto bound = configured_bound();
  if (bound.count() == 0 || below_one_core.load(std::memory_order_relaxed))
    return std::chrono::microseconds(0);
  if (paid_share < 32) bound /= 8;
  if (crowded()) bound /= 8;
  return bound;
}

void spin_policy::limit_to_cpu_share(double cores) {
  below_one_core.store(cores > 0 && cores < 1.0, std::memory_order_relaxed);
}

void spin_policy::record(std::chrono::nanoseconds waited) {
  const bool paid = waited <= configured_bound();
  paid_share += ((paid ? 256 : 0) - paid_share) / 8;
}

}  // namespace constellation::channel
