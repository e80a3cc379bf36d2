// A ring: N workers pass a token around K times, each adding one as it goes by. The top builds
// the ring by telling every worker its neighbours' pids, then waits for the token to come home.
//
//   ring [workers [laps]]      default 5 workers, 3 laps: the token ends at 15
#include <constellation/constellation.hpp>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

using constellation::pid;
using namespace constellation::literals;

// A worker's place in the ring. A receiver is named by the pid at its other end, so a worker
// needs its predecessor's pid as well as its successor's.
struct ring_place {
  pid predecessor, successor;
  bool starts = false;  // the worker that puts the token on the ring, and takes it off
  template <class Archive>
  void serialize(Archive& archive) {
    archive(predecessor, successor, starts);
  }
};

void worker(pid parent, int laps) {
  const ring_place place = constellation::receiver<ring_place>(parent).recv();
  constellation::receiver<long> from_predecessor(place.predecessor);
  constellation::sender<long> to_successor(place.successor);

  long token = 0;
  for (int lap = 0; lap < laps; ++lap) {
    if (place.starts) {  // send first, then wait for the token to come round
      to_successor.send(token + 1);
      token = from_predecessor.recv();
    } else {  // wait for the token, then pass it on
      token = from_predecessor.recv() + 1;
      to_successor.send(token);
    }
  }
  std::cout << constellation::this_process::pid() << " passed the token " << laps << " times, last "
            << "to " << place.successor << std::endl;
  if (place.starts) constellation::sender<long>(parent).send(token);
}

int main(int argc, char** argv) {
  constellation::init();
  const int n = argc > 1 ? std::atoi(argv[1]) : 5;
  const int laps = argc > 2 ? std::atoi(argv[2]) : 3;
  if (n < 2 || n > 64 || laps < 1 || laps > 100'000) {
    std::cerr << "usage: ring [workers [laps]], workers in 2..64, laps in 1..100000" << std::endl;
    return 2;
  }
  std::vector<pid> ring;
  for (int i = 0; i < n; ++i)
    ring.push_back(constellation::spawn({.mem = 16_MiB, .cpu = 0.1}, worker, laps));
  for (int i = 0; i < n; ++i)
    constellation::sender<ring_place>(ring[i]).send(
        {.predecessor = ring[(i + n - 1) % n], .successor = ring[(i + 1) % n], .starts = i == 0});

  const long token = constellation::receiver<long>(ring[0]).recv();
  const long expected = static_cast<long>(n) * laps;
  std::cout << "token after " << laps << " laps of " << n << " workers: " << token
            << (token == expected ? "" : " WRONG, expected " + std::to_string(expected))
            << std::endl;
  return token == expected ? 0 : 1;
}
