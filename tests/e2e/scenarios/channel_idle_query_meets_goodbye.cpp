// A link's idle query crosses the querier's exit goodbye. The querier sent messages and closed
// its sender; its peer received them all and then stopped (SIGSTOP). After two idle seconds the
// querier asks to close the link, then exits, which says goodbye on that link and waits for its
// confirmation. The peer, continued, reads the query first, finds the link idle, agrees and
// closes it: the goodbye is never answered. The agreement itself must confirm what the peer
// received, so the exiting process ends quietly instead of warning that nothing confirmed its
// messages.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <utility>

using namespace constellation::literals;
using namespace std::chrono_literals;

namespace {

constexpr int messages = 1000;

enum class role : int { querier, stopped_peer };

// The querier is the lower pid of the two: of a link's two ends only that one asks.
void worker(constellation::pid parent) {
  auto [my_role, other] =
      constellation::receiver<std::pair<role, constellation::pid>>(parent).recv();
  if (my_role == role::querier) {
    {
      constellation::sender<int> to_peer(other);
      for (int i = 0; i < messages; ++i) to_peer.send(i);
    }
    // Long enough for the idle check (every second, links idle for two) to send its query.
    std::this_thread::sleep_for(3500ms);
    constellation::sender<int>(parent).send(0);
    return;  // exits: the goodbye goes out behind the query
  }
  {
    constellation::receiver<int> from_querier(other);
    for (int i = 0; i < messages; ++i) from_querier.recv();
  }
  constellation::sender<long>(parent).send(static_cast<long>(::getpid()));
  ::raise(SIGSTOP);
}

}  // namespace

CONSTELLATION_SCENARIO(channel_idle_query_meets_goodbye) {
  const auto first = constellation::spawn({.mem = 64_MiB, .cpu = 0.1}, worker);
  const auto second = constellation::spawn({.mem = 64_MiB, .cpu = 0.1}, worker);
  const auto querier = std::min(first, second);
  const auto peer = std::max(first, second);
  constellation::sender<std::pair<role, constellation::pid>>(querier).send({role::querier, peer});
  constellation::sender<std::pair<role, constellation::pid>>(peer).send(
      {role::stopped_peer, querier});
  const long system_pid = constellation::receiver<long>(peer).recv();
  e2e::wait_until_stopped(system_pid);
  constellation::receiver<int>(querier).recv();
  // The querier is now exiting, its goodbye waiting behind its query for the stopped peer.
  std::this_thread::sleep_for(300ms);
  ::kill(static_cast<pid_t>(system_pid), SIGCONT);
  while (constellation::status(querier) == constellation::process_status::running ||
         constellation::status(peer) == constellation::process_status::running)
    std::this_thread::sleep_for(10ms);
  std::cout << "both ended" << std::endl;
  return 0;
}
