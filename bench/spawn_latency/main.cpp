// spawn_latency: how long from calling spawn() until the new process runs its function and
// answers over a socket, next to a bare posix_spawn() of the same binary that gives the same
// answer, both measured in the same run and interleaved so that machine noise hits both alike.
//
//   spawn_latency [rounds]        rounds per method, default 300 (or SPAWN_LATENCY_ROUNDS)
//
// The answer is one byte sent over a TCP connection to 127.0.0.1. Its arrival time is the kernel's
// receive timestamp (SO_TIMESTAMPNS), so it does not include the time the top process needs to
// notice it; spawn() may return before or after the answer arrived, and how long spawn() itself
// blocks is printed apart. Each round waits until the child has exited before the next starts.
//
// The bare baseline re-executes /proc/self/exe with the same argv and SPAWN_LATENCY_BARE=<port>
// added to the environment. main() checks that variable before constellation::init(), so the
// baseline child loads the same binary and libraries, runs the same static initialisers, and then
// does the same work as a spawned function: connect, send one byte, exit. What the spawned
// process pays on top is what constellation adds: the request to the bridge, the launch spec, the
// monitor's fork, the runtime's start in the new process, and (for spawn() to return) the
// monitor's started report.
//
// The table is printed by the top process, so the bridge shows it last, indented, after one
// "spawned" and one "exited" line per process. CONSTELLATION_ENFORCE_LIMITS=1 measures spawns
// under cgroup limits.

#include <constellation/constellation.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

extern char** environ;

namespace {

constexpr const char* bare_variable = "SPAWN_LATENCY_BARE";
constexpr const char* rounds_variable = "SPAWN_LATENCY_ROUNDS";
constexpr int default_rounds = 300;
constexpr int warmup_rounds = 10;
constexpr int answer_timeout_ms = 10'000;
constexpr double target_ratio = 1.5;

std::int64_t now_ns(clockid_t clock) {
  timespec t{};
  ::clock_gettime(clock, &t);
  return std::int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec;
}

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "spawn_latency: %s\n", what.c_str());
  std::exit(1);
}

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

// The work both kinds of child do: connect to the top process and send one byte. The connection
// is left open on purpose: the kernel closes it when the process exits, which is how the top
// process knows that the child is gone.
bool send_answer(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  const char byte = 1;
  return ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 &&
         ::send(fd, &byte, 1, MSG_NOSIGNAL) == 1;
}

// The spawned function.
void answer(constellation::pid, std::uint16_t port) {
  if (!send_answer(port)) std::exit(1);
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  std::uint16_t port = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (error != std::errc{} || end != text.data() + text.size() || port == 0) return std::nullopt;
  return port;
}

// Where the children answer. Each answer is one connection carrying one byte; the connection
// ends when the child exits.
class answer_listener {
 public:
  answer_listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) fail(errno_text("socket"));
    // Set on the listener so that accepted connections timestamp the answer as it arrives.
    const int on = 1;
    timestamps_ = ::setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) == 0;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd_, 64) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
      fail(errno_text("listening on 127.0.0.1"));
    port_ = ntohs(address.sin_port);
  }
  answer_listener(const answer_listener&) = delete;
  answer_listener& operator=(const answer_listener&) = delete;
  ~answer_listener() { ::close(fd_); }

  std::uint16_t port() const { return port_; }
  // False when some answer came without a kernel timestamp and its read time stood in.
  bool kernel_timestamps() const { return timestamps_; }

  // Blocks until one child connected and sent its byte, then until the connection ended (the
  // child exited), so that no child outlives its round. Returns when the byte arrived, in
  // CLOCK_REALTIME nanoseconds. Exits the program after answer_timeout_ms without an answer.
  std::int64_t wait_for_answer() {
    wait_readable(fd_, "a connection");
    int connection = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) fail(errno_text("accept"));
    wait_readable(connection, "the answer");
    char byte = 0;
    iovec data{&byte, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    if (::recvmsg(connection, &message, 0) != 1) fail("a child connected but sent no answer");
    const std::int64_t read_at = now_ns(CLOCK_REALTIME);
    std::optional<std::int64_t> arrived;
    for (cmsghdr* c = CMSG_FIRSTHDR(&message); c; c = CMSG_NXTHDR(&message, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        timespec t{};
        std::memcpy(&t, CMSG_DATA(c), sizeof t);
        arrived = std::int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec;
      }
    if (!arrived) timestamps_ = false;
    // End of file: the child is gone.
    wait_readable(connection, "the answering child to exit");
    while (::read(connection, &byte, 1) > 0) {
    }
    ::close(connection);
    return arrived.value_or(read_at);
  }

 private:
  static void wait_readable(int fd, const char* what) {
    pollfd p{fd, POLLIN, 0};
    int ready;
    while ((ready = ::poll(&p, 1, answer_timeout_ms)) < 0 && errno == EINTR) {
    }
    if (ready < 0) fail(errno_text("poll"));
    if (ready == 0) fail(std::string("no child answered within 10 s: waited for ") + what);
  }

  int fd_ = -1;
  std::uint16_t port_ = 0;
  bool timestamps_ = false;
};

struct spawn_times {
  double answered_us;  // from the start of spawn() until the answer arrived
  double returned_us;  // from the start of spawn() until spawn() returned
};

spawn_times time_constellation(answer_listener& listener) {
  const auto start_real = now_ns(CLOCK_REALTIME);
  const auto start = now_ns(CLOCK_MONOTONIC);
  constellation::spawn(constellation::resources{}, answer, listener.port());
  const auto returned = now_ns(CLOCK_MONOTONIC);
  const auto arrived = listener.wait_for_answer();
  return {static_cast<double>(arrived - start_real) / 1e3,
          static_cast<double>(returned - start) / 1e3};
}

// The same binary, re-executed with the same argv and the bare variable added to the environment.
class bare_image {
 public:
  bare_image(int argc, char** argv, std::uint16_t port) : argv_(argv, argv + argc) {
    for (char** e = environ; e && *e; ++e) env_.emplace_back(*e);
    env_.push_back(std::string(bare_variable) + "=" + std::to_string(port));
    for (auto& s : argv_) argv_c_.push_back(s.data());
    argv_c_.push_back(nullptr);
    for (auto& s : env_) env_c_.push_back(s.data());
    env_c_.push_back(nullptr);
  }

  pid_t start() {
    pid_t child = -1;
    int error =
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

// Microseconds from the start of posix_spawn() until the answer arrived.
double time_bare(answer_listener& listener, bare_image& image) {
  const auto start_real = now_ns(CLOCK_REALTIME);
  const pid_t child = image.start();
  const auto arrived = listener.wait_for_answer();
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fail("the bare child failed to answer");
  return static_cast<double>(arrived - start_real) / 1e3;
}

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

int rounds_requested(int argc, char** argv) {
  const char* text = argc > 1 ? argv[1] : std::getenv(rounds_variable);
  if (!text || !*text) return default_rounds;
  int rounds = 0;
  const std::string_view view(text);
  auto [end, error] = std::from_chars(view.data(), view.data() + view.size(), rounds);
  if (error != std::errc{} || end != view.data() + view.size() || rounds < 1)
    fail("rounds must be a positive integer, not '" + std::string(view) + "'");
  return rounds;
}

void print_row(const char* method, const summary& s) {
  std::printf("%-26s %9.0f %9.0f %9.0f %9.0f\n", method, s.p50, s.p90, s.p99, s.mean);
}

struct measurements {
  std::vector<double> spawned, spawn_returned, bare;  // microseconds, one per counted round
};

measurements measure(int rounds, answer_listener& listener, bare_image& image) {
  measurements m;
  // A B, B A, A B, ...: each method follows the other as often as itself, so that what one leaves
  // behind (a monitor reporting an exit, say) weighs on both alike.
  for (int round = -warmup_rounds; round < rounds; ++round) {
    const bool constellation_first = (round & 1) == 0;
    spawn_times a{};
    if (constellation_first) a = time_constellation(listener);
    const double b = time_bare(listener, image);
    if (!constellation_first) a = time_constellation(listener);
    if (round < 0) continue;
    m.spawned.push_back(a.answered_us);
    m.spawn_returned.push_back(a.returned_us);
    m.bare.push_back(b);
  }
  return m;
}

void report(int rounds, const measurements& m, bool kernel_timestamps) {
  const summary s = summarize(m.spawned), r = summarize(m.spawn_returned), b = summarize(m.bare);
  std::printf("spawn latency: %d rounds per method, interleaved, after %d warm-up rounds each\n",
              rounds, warmup_rounds);
  std::printf("from the call until the child's answer arrived (%s), in microseconds:\n",
              kernel_timestamps ? "kernel receive timestamp" : "time the answer was read");
  std::printf("%-26s %9s %9s %9s %9s\n", "method", "p50", "p90", "p99", "mean");
  print_row("constellation::spawn()", s);
  print_row("bare posix_spawn()", b);
  print_row("(spawn() returned after)", r);
  const double ratio50 = s.p50 / b.p50, ratio99 = s.p99 / b.p99;
  std::printf("ratio constellation/bare: p50 %.2fx, p99 %.2fx\n", ratio50, ratio99);
  std::printf("target p50 within %.1fx of the bare re-exec: %s\n", target_ratio,
              ratio50 <= target_ratio ? "met" : "NOT met");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  // The bare baseline's child: answer and leave, before init() could make it anything else.
  if (const char* port_text = std::getenv(bare_variable)) {
    auto port = parse_port(port_text);
    ::_exit(port && send_answer(*port) ? 0 : 1);
  }
  constellation::init();

  const int rounds = rounds_requested(argc, argv);
  answer_listener listener;
  bare_image image(argc, argv, listener.port());
  try {
    const measurements m = measure(rounds, listener, image);
    report(rounds, m, listener.kernel_timestamps());
  } catch (const constellation::spawn_error& e) {
    fail(e.what());
  }
  return 0;
}
