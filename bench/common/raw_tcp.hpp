#pragma once
// The baseline every channel benchmark compares with: a plain blocking TCP socket on loopback,
// set up between the same two processes in the same run.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace bench {

inline void die(const char* what) {
  std::perror(what);
  std::exit(1);
}

// A listener on ip (an IPv4 address in text; "0.0.0.0" for every address) at a port the kernel
// picks, returned in port.
inline int listen_on(const char* ip, std::uint16_t& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  if (::inet_pton(AF_INET, ip, &a.sin_addr) != 1) die("listen: not an IPv4 address");
  socklen_t n = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) || ::listen(fd, 4) ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n))
    die("listen");
  port = ntohs(a.sin_port);
  return fd;
}

inline int listen_loopback(std::uint16_t& port) {
  return listen_on("127.0.0.1", port);
}

inline void no_delay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

inline int connect_to(const char* ip, std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  if (::inet_pton(AF_INET, ip, &a.sin_addr) != 1) die("connect: not an IPv4 address");
  a.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a)) die("connect");
  no_delay(fd);
  return fd;
}

inline int connect_loopback(std::uint16_t port) {
  return connect_to("127.0.0.1", port);
}

inline void write_all(int fd, const char* p, std::size_t n) {
  while (n) {
    ssize_t w = ::write(fd, p, n);
    if (w <= 0) die("write");
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

inline void read_all(int fd, char* p, std::size_t n) {
  while (n) {
    ssize_t r = ::read(fd, p, n);
    if (r <= 0) die("read");
    p += r;
    n -= static_cast<std::size_t>(r);
  }
}

using clock = std::chrono::steady_clock;

inline double micros(clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

struct summary {
  double p50, p99, mean;
};

inline summary summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  auto at = [&](double q) {
    return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
  };
  return {at(0.50), at(0.99), sum / static_cast<double>(v.size())};
}

}  // namespace bench
