// spawn_latency: how long from calling spawn() until the parent holds the new process's first
// channel message, next to posix_spawn() of the same binary whose child connects back over a Unix
// socket and sends one byte; then how many spawns a second a burst of spawns from four threads
// reaches, next to the same burst of posix_spawn()s. Everything is measured in the same run:
// latencies interleaved round by round, bursts one after the other, so that machine noise weighs
// on each method alike.
//
//   spawn_latency [rounds] [burst]   rounds per method (default 200, or SPAWN_LATENCY_ROUNDS),
//                                    spawns per burst (default 200)
//   spawn_latency --only forked|executed|bare N
//                                    N rounds of one method and nothing else, to be run under
//                                    `perf stat -e task-clock,page-faults`, which counts every
//                                    process of the run: the CPU time and page faults a start
//                                    costs, whatever else the machine runs meanwhile
//
// Methods:
//   forked      constellation::spawn(), started by the job's fork server (the default)
//   executed    constellation::spawn() after this_process::spawn_by_exec(): a fresh exec each
//   bare        posix_spawn() of /proc/self/exe with the same argv and SPAWN_LATENCY_BARE=<socket>
//               added to the environment; main() checks it before constellation::init(), so the
//               child loads the same binary and libraries and runs the same static initialisers,
//               then connects to the Unix socket, sends one byte and exits
//   forked, Unix socket answer
//               constellation::spawn() of a function that answers as the bare child does: the
//               spawn path alone, without the channel link's set-up
//   fork()      (bursts only) fork() of this process, whose child does the bare child's work
//               and _exit()s: no exec, no runtime; the least a process costs on this machine
//
// A constellation child sends one int over a channel: `sender<int>(parent).send(token)`; the time
// is taken when the parent's recv() returns it, so it includes the link's set-up (connect and
// handshake), as a user's first message would. A round waits until the previous child is gone
// before the next starts: the bare child reaped, the spawned child's exit known to the node agent
// (status() no longer `running`), so that one round's teardown does not weigh on the next.
// SPAWN_LATENCY_OVERLAP=1 waits only until the spawned process itself has exited, as the first
// version of this benchmark did. CONSTELLATION_ENFORCE_LIMITS=1 measures spawns under limits.

#include <constellation/constellation.hpp>

#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

extern char** environ;

namespace {

using clock_type = std::chrono::steady_clock;

constexpr const char* bare_variable = "SPAWN_LATENCY_BARE";
constexpr const char* rounds_variable = "SPAWN_LATENCY_ROUNDS";
constexpr const char* overlap_variable = "SPAWN_LATENCY_OVERLAP";
constexpr int default_rounds = 200;
constexpr int default_burst = 200;
constexpr int burst_threads = 4;
constexpr int warmup_rounds = 10;
constexpr int answer_timeout_ms = 20'000;
constexpr double target_latency_ratio = 0.5;  // forked p50 against bare
constexpr double target_burst_rate = 1000;    // forked spawns per second, natively on 2 cores

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "spawn_latency: %s\n", what.c_str());
  std::exit(1);
}

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

double micros(clock_type::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

// ---- the bare baseline ----

sockaddr_un unix_address(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) fail("socket path too long: " + path);
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  return address;
}

// What the bare child does before init() could make it anything else.
bool send_bare_answer(const char* path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const sockaddr_un address = unix_address(path);
  const char byte = 1;
  return ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 &&
         ::send(fd, &byte, 1, MSG_NOSIGNAL) == 1;
}

void wait_readable(int fd, const char* what) {
  pollfd p{fd, POLLIN, 0};
  int ready;
  while ((ready = ::poll(&p, 1, answer_timeout_ms)) < 0 && errno == EINTR) {
  }
  if (ready < 0) fail(errno_text("poll"));
  if (ready == 0) fail(std::string("nothing within 20 s: waited for ") + what);
}

// Where bare children answer: a Unix socket in a folder of this run's own.
class bare_listener {
 public:
  bare_listener() {
    char folder[] = "/tmp/spawn_latency.XXXXXX";
    if (!::mkdtemp(folder)) fail(errno_text("mkdtemp"));
    folder_ = folder;
    path_ = folder_ + "/answers";
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const sockaddr_un address = unix_address(path_);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd_, 1024) != 0)
      fail(errno_text("listening on a Unix socket"));
  }
  bare_listener(const bare_listener&) = delete;
  bare_listener& operator=(const bare_listener&) = delete;
  ~bare_listener() {
    ::close(fd_);
    std::error_code ignored;
    std::filesystem::remove_all(folder_, ignored);
  }

  const std::string& path() const { return path_; }

  // Blocks until a child connected and its byte arrived.
  void take_answer() {
    wait_readable(fd_, "a bare child's connection");
    const int connection = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) fail(errno_text("accept"));
    wait_readable(connection, "a bare child's byte");
    char byte = 0;
    if (::read(connection, &byte, 1) != 1) fail("a bare child connected but sent nothing");
    ::close(connection);
  }

 private:
  std::string folder_, path_;
  int fd_ = -1;
};

// The same binary, executed with the same argv and the bare variable added to the environment.
class bare_image {
 public:
  bare_image(int argc, char** argv, const std::string& socket_path) : argv_(argv, argv + argc) {
    for (char** e = environ; e && *e; ++e) env_.emplace_back(*e);
    env_.push_back(std::string(bare_variable) + "=" + socket_path);
    for (auto& s : argv_) argv_c_.push_back(s.data());
    argv_c_.push_back(nullptr);
    for (auto& s : env_) env_c_.push_back(s.data());
    env_c_.push_back(nullptr);
  }

  pid_t start() {
    pid_t child = -1;
    const int error =
        ::posix_spawn(&child, "/proc/self/exe", nullptr, nullptr, argv_c_.data(), env_c_.data());
    if (error != 0) {
      errno = error;
      fail(errno_text("posix_spawn /proc/self/exe"));
    }
    return child;
  }

 private:
  std::vector<std::string> argv_, env_;
  std::vector<char*> argv_c_, env_c_;
};

void reap(pid_t child) {
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fail("a bare child failed to answer");
}

// ---- constellation ----

void first_message(constellation::pid parent, int token) {
  constellation::sender<int>(parent).send(token);
}

// The bare child's answer from a spawned function: the spawn path alone, without a channel link.
void unix_answer(constellation::pid, std::string path) {
  if (!send_bare_answer(path.c_str())) std::exit(1);
}

// Until the node agent knows the process ended (or, with SPAWN_LATENCY_OVERLAP=1, returns at once:
// the caller has seen the process's channel end).
void wait_gone(const constellation::pid& p, bool overlap) {
  if (overlap) return;
  while (constellation::status(p) == constellation::process_status::running)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

struct spawn_times {
  double first_message_us;  // from the call until the parent's recv() returned
  double returned_us;       // from the call until spawn() returned
};

spawn_times time_spawn(bool by_exec, int token, bool overlap) {
  constellation::this_process::spawn_by_exec(by_exec);
  const auto start = clock_type::now();
  const auto child = constellation::spawn(constellation::resources{}, first_message, token);
  const auto returned = clock_type::now();
  constellation::receiver<int> from(child);
  if (from.recv() != token) fail("a child sent the wrong token");
  const auto received = clock_type::now();
  if (overlap) {
    // The process's exit, as the first version of this benchmark waited for it: the end of its
    // channel, which its node agent may not have heard of yet.
    try {
      from.recv();
      fail("a child sent a second message");
    } catch (const constellation::channel_error&) {
    }
  }
  wait_gone(child, overlap);
  return {micros(received - start), micros(returned - start)};
}

double time_spawn_unix_answer(bare_listener& listener, bool overlap) {
  const auto start = clock_type::now();
  const auto child = constellation::spawn(constellation::resources{}, unix_answer, listener.path());
  listener.take_answer();
  const auto received = clock_type::now();
  wait_gone(child, overlap);
  return micros(received - start);
}

double time_bare(bare_listener& listener, bare_image& image) {
  const auto start = clock_type::now();
  const pid_t child = image.start();
  listener.take_answer();
  const auto received = clock_type::now();
  reap(child);
  return micros(received - start);
}

// ---- figures ----

struct summary {
  double p50, p90, p99, mean;
};

// Nearest-rank percentiles.
summary summarize(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  auto rank = [&](double p) {
    auto index =
        static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(samples.size())));
    return samples[std::clamp<std::size_t>(index, 1, samples.size()) - 1];
  };
  double sum = 0;
  for (double s : samples) sum += s;
  return {rank(50), rank(90), rank(99), sum / static_cast<double>(samples.size())};
}

int positive_integer(const char* text, const char* what) {
  int value = 0;
  const std::string_view view(text);
  auto [end, error] = std::from_chars(view.data(), view.data() + view.size(), value);
  if (error != std::errc{} || end != view.data() + view.size() || value < 1)
    fail(std::string(what) + " must be a positive integer, not '" + std::string(view) + "'");
  return value;
}

struct latencies {
  std::vector<double> forked, forked_returned, executed, executed_returned, forked_unix, bare;
};

latencies measure_latencies(int rounds, bare_listener& listener, bare_image& image, bool overlap) {
  latencies m;
  // Each method follows each other as often as itself, so that what one leaves behind weighs on
  // all alike: the order rotates every round.
  for (int round = -warmup_rounds; round < rounds; ++round) {
    spawn_times forked{}, executed{};
    double forked_unix = 0, bare = 0;
    for (int k = 0; k < 4; ++k) {
      switch ((round + warmup_rounds + k) % 4) {
        case 0:
          forked = time_spawn(false, round, overlap);
          break;
        case 1:
          executed = time_spawn(true, round, overlap);
          break;
        case 2:
          forked_unix = time_spawn_unix_answer(listener, overlap);
          break;
        default:
          bare = time_bare(listener, image);
          break;
      }
    }
    if (round < 0) continue;
    m.forked.push_back(forked.first_message_us);
    m.forked_returned.push_back(forked.returned_us);
    m.executed.push_back(executed.first_message_us);
    m.executed_returned.push_back(executed.returned_us);
    m.forked_unix.push_back(forked_unix);
    m.bare.push_back(bare);
  }
  constellation::this_process::spawn_by_exec(false);
  return m;
}

struct burst_figures {
  double returned_per_s = 0;  // spawns whose spawn() returned, per second
  double answered_per_s = 0;  // spawns whose first message arrived, per second
};

// burst spawns from burst_threads threads at once, each thread spawning its share and then taking
// each of its children's first message.
burst_figures spawn_burst(int burst, bool by_exec) {
  constellation::this_process::spawn_by_exec(by_exec);
  std::vector<std::vector<constellation::pid>> children(burst_threads);
  std::atomic<int> returned{0};
  clock_type::time_point all_returned{};
  std::vector<std::thread> spawners;
  const auto start = clock_type::now();
  for (int t = 0; t < burst_threads; ++t)
    spawners.emplace_back([&, t, count = burst / burst_threads + (t < burst % burst_threads)] {
      auto& mine = children[static_cast<std::size_t>(t)];
      for (int i = 0; i < count; ++i) {
        mine.push_back(constellation::spawn(constellation::resources{}, first_message, i));
        if (returned.fetch_add(1) + 1 == burst) all_returned = clock_type::now();
      }
      for (int i = 0; i < count; ++i)
        if (constellation::receiver<int>(mine[static_cast<std::size_t>(i)]).recv() != i)
          fail("a child of the burst sent the wrong token");
    });
  for (auto& s : spawners) s.join();
  const auto end = clock_type::now();
  constellation::this_process::spawn_by_exec(false);
  for (auto& mine : children)
    for (const auto& p : mine) wait_gone(p, false);
  return {burst / (micros(all_returned - start) / 1e6), burst / (micros(end - start) / 1e6)};
}

// A process that answers, without exec: fork() and the bare child's work, then _exit(). What this
// machine needs at the least to create a process, let it say one thing and end; the floor for any
// way of starting processes.
pid_t fork_answer(const std::string& path) {
  const pid_t child = ::fork();
  if (child < 0) fail(errno_text("fork"));
  if (child == 0) ::_exit(send_bare_answer(path.c_str()) ? 0 : 1);
  return child;
}

// burst children from burst_threads threads at once, each started by start(); until every
// child's byte arrived.
template <class Start>
double bare_burst(int burst, bare_listener& listener, Start start_one) {
  std::vector<std::vector<pid_t>> children(burst_threads);
  std::vector<std::thread> spawners;
  const auto start = clock_type::now();
  for (int t = 0; t < burst_threads; ++t)
    spawners.emplace_back([&, t, count = burst / burst_threads + (t < burst % burst_threads)] {
      for (int i = 0; i < count; ++i) children[static_cast<std::size_t>(t)].push_back(start_one());
    });
  for (int i = 0; i < burst; ++i) listener.take_answer();
  const auto end = clock_type::now();
  for (auto& s : spawners) s.join();
  for (auto& mine : children)
    for (pid_t p : mine) reap(p);
  return burst / (micros(end - start) / 1e6);
}

void print_row(const char* method, const summary& s) {
  std::printf("%-36s %9.0f %9.0f %9.0f %9.0f\n", method, s.p50, s.p90, s.p99, s.mean);
}

}  // namespace

int main(int argc, char** argv) {
  // The bare baseline's child: answer and leave, before init() could make it anything else.
  if (const char* path = std::getenv(bare_variable)) ::_exit(send_bare_answer(path) ? 0 : 1);
  constellation::init();

  if (argc == 4 && std::strcmp(argv[1], "--only") == 0) {
    const std::string_view method = argv[2];
    const int n = positive_integer(argv[3], "rounds");
    bare_listener listener;
    bare_image image(argc, argv, listener.path());
    for (int i = 0; i < n; ++i) {
      if (method == "forked" || method == "executed") {
        time_spawn(method == "executed", i, false);
      } else if (method == "bare") {
        time_bare(listener, image);
      } else {
        fail("--only takes forked, executed or bare, not " + std::string(method));
      }
    }
    return 0;
  }

  const char* rounds_text = argc > 1 ? argv[1] : std::getenv(rounds_variable);
  const int rounds =
      rounds_text && *rounds_text ? positive_integer(rounds_text, "rounds") : default_rounds;
  const int burst = argc > 2 ? positive_integer(argv[2], "burst") : default_burst;
  const char* overlap_text = std::getenv(overlap_variable);
  const bool overlap = overlap_text && std::strcmp(overlap_text, "1") == 0;

  bare_listener listener;
  bare_image image(argc, argv, listener.path());
  try {
    const latencies m = measure_latencies(rounds, listener, image, overlap);
    const double bare_rate = bare_burst(burst, listener, [&] { return image.start(); });
    const double fork_rate =
        bare_burst(burst, listener, [&] { return fork_answer(listener.path()); });
    const burst_figures forked_rate = spawn_burst(burst, false);
    const burst_figures executed_rate = spawn_burst(burst, true);

    const summary forked = summarize(m.forked), executed = summarize(m.executed),
                  bare = summarize(m.bare);
    std::printf(
        "spawn latency: %d rounds per method, interleaved, after %d warm-up rounds each%s\n",
        rounds, warmup_rounds, overlap ? "; each round overlaps the previous one's teardown" : "");
    std::printf("from the call until the first message was received, in microseconds:\n");
    std::printf("%-36s %9s %9s %9s %9s\n", "method", "p50", "p90", "p99", "mean");
    print_row("spawn(), forked (fork server)", forked);
    print_row("spawn(), executed (spawn_by_exec)", executed);
    print_row("bare posix_spawn() + Unix socket", bare);
    const summary forked_unix = summarize(m.forked_unix);
    print_row("spawn(), forked, Unix socket answer", forked_unix);
    print_row("(forked: spawn() returned after)", summarize(m.forked_returned));
    print_row("(executed: spawn() returned after)", summarize(m.executed_returned));
    std::printf("ratio forked/bare:   p50 %.2fx, p99 %.2fx\n", forked.p50 / bare.p50,
                forked.p99 / bare.p99);
    std::printf("ratio executed/bare: p50 %.2fx, p99 %.2fx\n", executed.p50 / bare.p50,
                executed.p99 / bare.p99);
    std::printf(
        "ratio forked with the bare child's answer/bare (the spawn path alone, no channel link): "
        "p50 %.2fx, "
        "p99 %.2fx\n",
        forked_unix.p50 / bare.p50, forked_unix.p99 / bare.p99);
    std::printf("target forked p50 within %.1fx of bare: %s\n", target_latency_ratio,
                forked.p50 / bare.p50 <= target_latency_ratio ? "met" : "NOT met");
    std::printf(
        "burst of %d spawns from %d threads, spawns per second (until every first message / every "
        "spawn() returned):\n",
        burst, burst_threads);
    std::printf("  forked   %8.0f / %8.0f\n", forked_rate.answered_per_s,
                forked_rate.returned_per_s);
    std::printf("  executed %8.0f / %8.0f\n", executed_rate.answered_per_s,
                executed_rate.returned_per_s);
    std::printf("  bare     %8.0f (posix_spawn() until every byte)\n", bare_rate);
    std::printf("  fork()   %8.0f (fork() and _exit(), no exec: this machine's floor)\n",
                fork_rate);
    std::printf("ratio forked/bare %.2fx, executed/bare %.2fx, forked/fork() %.2fx\n",
                forked_rate.answered_per_s / bare_rate, executed_rate.answered_per_s / bare_rate,
                forked_rate.answered_per_s / fork_rate);
    std::printf("target forked burst of at least %.0f spawns/s: %s\n", target_burst_rate,
                forked_rate.answered_per_s >= target_burst_rate ? "met" : "NOT met");
    std::fflush(stdout);
  } catch (const std::exception& e) {
    fail(e.what());
  }
  return 0;
}
