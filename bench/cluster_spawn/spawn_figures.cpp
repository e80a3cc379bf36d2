#include "spawn_figures.hpp"

#include "../common/raw_tcp.hpp"

#include <constellation/constellation.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace cluster_spawn {

namespace {

constexpr int warmup_rounds = 10;
constexpr int burst_threads = 4;
constexpr int answer_timeout_ms = 10'000;
constexpr const char* marker = "cluster_spawn figures:";

// Small, so that a whole burst would fit the loopback cluster even if no child had exited yet.
constexpr constellation::resources child_resources{64 * constellation::MiB, 1.0 / 32};

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "cluster_spawn: %s\n", what.c_str());
  std::exit(1);
}

// The spawned function: connect to the top process, send one byte, leave. The kernel closes the
// connection when the process exits, which tells the top that the child is gone.
void answer(constellation::pid, std::uint16_t port) {
  const int fd = bench::connect_loopback(port);
  const char byte = 1;
  if (::send(fd, &byte, 1, MSG_NOSIGNAL) != 1) std::exit(1);
}

void wait_readable(int fd, const char* what) {
  pollfd p{fd, POLLIN, 0};
  int ready;
  while ((ready = ::poll(&p, 1, answer_timeout_ms)) < 0 && errno == EINTR) {
  }
  if (ready <= 0) fail(std::string("no answer within 10 s: waited for ") + what);
}

class answer_listener {
 public:
  answer_listener() : fd_(bench::listen_loopback(port_)) {
    ::listen(fd_, 256);  // a burst's children connect at once
  }
  answer_listener(const answer_listener&) = delete;
  answer_listener& operator=(const answer_listener&) = delete;
  ~answer_listener() { ::close(fd_); }

  std::uint16_t port() const { return port_; }

  // Blocks until a child connected and sent its byte; returns the connection.
  int accept_answer() {
    wait_readable(fd_, "a connection");
    const int connection = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) fail("accept failed");
    wait_readable(connection, "the answer");
    char byte = 0;
    if (::read(connection, &byte, 1) != 1) fail("a child connected but sent no answer");
    return connection;
  }

  // Blocks until the child behind connection exited (end of file), then closes it.
  static void wait_gone(int connection) {
    char byte = 0;
    wait_readable(connection, "an answering child to exit");
    while (::read(connection, &byte, 1) > 0) {
    }
    ::close(connection);
  }

 private:
  std::uint16_t port_ = 0;
  int fd_ = -1;
};

double sequential_spawn_us(answer_listener& listener) {
  const auto start = bench::clock::now();
  constellation::spawn(child_resources, answer, listener.port());
  const int connection = listener.accept_answer();
  const double elapsed = bench::micros(bench::clock::now() - start);
  answer_listener::wait_gone(connection);  // no child outlives its round
  return elapsed;
}

double burst_spawns_per_s(answer_listener& listener, int burst) {
  std::vector<std::thread> spawners;
  const auto start = bench::clock::now();
  for (int t = 0; t < burst_threads; ++t)
    spawners.emplace_back([&listener, count = burst / burst_threads + (t < burst % burst_threads)] {
      for (int i = 0; i < count; ++i)
        constellation::spawn(child_resources, answer, listener.port());
    });
  std::vector<int> connections;
  for (int i = 0; i < burst; ++i) connections.push_back(listener.accept_answer());
  const double elapsed_s = bench::micros(bench::clock::now() - start) / 1e6;
  for (auto& s : spawners) s.join();
  for (int c : connections) answer_listener::wait_gone(c);
  return burst / elapsed_s;
}

}  // namespace

spawn_figures measure_spawns(int rounds, int burst) {
  answer_listener listener;
  for (int i = 0; i < warmup_rounds; ++i) sequential_spawn_us(listener);
  std::vector<double> samples;
  for (int i = 0; i < rounds; ++i) samples.push_back(sequential_spawn_us(listener));
  const bench::summary s = bench::summarize(samples);
  return {rounds, s.p50, s.p99, s.mean, burst, burst_spawns_per_s(listener, burst)};
}

std::string figures_line(const spawn_figures& f) {
  char line[256];
  std::snprintf(line, sizeof line,
                "%s rounds=%d p50_us=%.1f p99_us=%.1f mean_us=%.1f burst=%d spawns_per_s=%.1f",
                marker, f.rounds, f.p50_us, f.p99_us, f.mean_us, f.burst, f.spawns_per_s);
  return line;
}

std::optional<spawn_figures> find_figures_line(std::string_view text) {
  const auto at = text.find(marker);
  if (at == std::string_view::npos) return std::nullopt;
  const std::string rest(text.substr(at + std::string_view(marker).size(), 256));
  spawn_figures f;
  if (std::sscanf(rest.c_str(),
                  " rounds=%d p50_us=%lf p99_us=%lf mean_us=%lf burst=%d spawns_per_s=%lf",
                  &f.rounds, &f.p50_us, &f.p99_us, &f.mean_us, &f.burst, &f.spawns_per_s) != 6)
    return std::nullopt;
  return f;
}

}  // namespace cluster_spawn
