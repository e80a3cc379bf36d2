// What a blocked receiver costs: a child waits in recv() for a message that comes only after
// `seconds` (10 by default), then reports the CPU time its whole process used meanwhile, spinning
// included, next to the time it waited. Baseline: the same wait in a plain blocking read() of a
// pipe, in another child of the same run. Target: under 1% of a core.
#include <constellation/constellation.hpp>

#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

using namespace constellation;

namespace {

double process_cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// Waits for one message from the parent, then answers with the CPU seconds spent waiting.
void blocked_receiver(pid parent) {
  receiver<int> in(parent);
  sender<double> out(parent);
  out.send(0.0);  // the link is up: what follows is the wait alone
  const double before = process_cpu_seconds();
  in.recv();
  out.send(process_cpu_seconds() - before);
}

}  // namespace

int main(int argc, char** argv) {
  init();
  const double seconds = argc > 1 ? std::atof(argv[1]) : 10.0;
  const pid child = spawn({}, blocked_receiver);
  sender<int> out(child);
  receiver<double> in(child);
  in.recv();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  out.send(1);
  const double channel_cpu = in.recv();

  // Baseline: a thread of this process blocked in read() on a pipe for as long.
  int fds[2];
  if (::pipe(fds) != 0) return 1;
  double pipe_cpu = 0;
  std::thread reader([&] {
    timespec a{}, b{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    char c;
    (void)!::read(fds[0], &c, 1);
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    pipe_cpu =
        static_cast<double>(b.tv_sec - a.tv_sec) + static_cast<double>(b.tv_nsec - a.tv_nsec) / 1e9;
  });
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  (void)!::write(fds[1], "x", 1);
  reader.join();

  std::printf(
      "receiver blocked %.1f s: its process used %.4f s of CPU (%.3f%% of a core) | a thread "
      "blocked in read() "
      "on a pipe: %.4f s | target < 1%%: %s\n",
      seconds, channel_cpu, 100 * channel_cpu / seconds, pipe_cpu,
      channel_cpu / seconds < 0.01 ? "met" : "NOT met");
}
