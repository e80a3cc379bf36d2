// A process outside the job cannot talk to a channel endpoint: garbage and a handshake made with
// another secret are refused, a connection that says nothing is closed after the link setup bound
// (5 s), and the endpoint goes on serving the job.
#include "scenario.hpp"

#include "crypto/crypto.hpp"
#include "runtime/pid_access.hpp"
#include "wire/frame.hpp"
#include "wire/handshake.hpp"

#include <constellation/constellation.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <iostream>

namespace {

void listener_child(constellation::pid parent) {
  std::cout << "child got " << constellation::receiver<int>(parent).recv() << std::endl;
}

int connect_to(const constellation::pid& p) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(constellation::detail::pid_access::ipv4(p));
  a.sin_port = htons(constellation::detail::pid_access::port(p));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return -1;
  return fd;
}

struct received {
  std::string bytes;
  bool closed = false;
};

// What the endpoint sends within the wait (up to 5 s), and whether it then closed the connection.
received read_for(int fd, int rounds) {
  received r;
  char buffer[4096];
  for (int i = 0; i < rounds; ++i) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) {
      r.closed = true;
      return r;
    }
    r.bytes.append(buffer, static_cast<std::size_t>(n));
  }
  return r;
}

}  // namespace

CONSTELLATION_SCENARIO(foreign_connection) {
  auto child = constellation::spawn({}, listener_child);
  // Opened first and looked at last, so that its wait overlaps the other checks.
  int silent = connect_to(child);

  // Garbage: a frame header announcing 4 GiB.
  int garbage = connect_to(child);
  const char huge[] = "\xff\xff\xff\xff\x01";
  (void)!::write(garbage, huge, 5);
  std::cout << "garbage: " << (read_for(garbage, 50).closed ? "refused" : "accepted") << "\n";
  ::close(garbage);

  // A well-formed handshake made with another secret.
  int stranger = connect_to(child);
  constellation::wire::handshake_client client(constellation::crypto::random_bytes(32), "channel",
                                               "stranger");
  const std::string hello = client.start();
  (void)!::write(stranger, hello.data(), hello.size());
  // The endpoint answers the hello with its proof, which our secret cannot verify; then a proof of
  // ours, made with our secret, must make it close the connection without accepting anything.
  const received reply = read_for(stranger, 10);
  auto step = client.feed(reply.bytes);
  std::cout << "their proof: "
            << (!step ? constellation::wire::to_string(step.error()) : "accepted") << "\n";
  std::string forged_proof;
  constellation::wire::append_frame(forged_proof, 0xc3, constellation::crypto::random_bytes(32));
  constellation::wire::append_frame(forged_proof, 2, std::string(8 + 4, '\0'));  // and a message
  (void)!::write(stranger, forged_proof.data(), forged_proof.size());
  std::cout << "wrong secret: " << (read_for(stranger, 50).closed ? "refused" : "accepted") << "\n";
  ::close(stranger);

  std::cout << "silent: " << (read_for(silent, 80).closed ? "closed" : "kept open") << "\n";
  ::close(silent);

  // The job's own channel still works.
  constellation::sender<int>(child).send(42);
  std::cout << "job channel works" << std::endl;
  return 0;
}
