// Two processes bat a counter back and forth over a pair of typed channels.
#include <constellation/constellation.hpp>

#include <iostream>

using constellation::pid;

void player(pid parent, int rounds) {
  constellation::receiver<int> from_parent(parent);
  constellation::sender<int> to_parent(parent);
  for (int i = 0; i < rounds; ++i) to_parent.send(from_parent.recv() + 1);
}

int main() {
  constellation::init();
  const int rounds = 5;
  pid child = constellation::spawn({}, player, rounds);
  constellation::sender<int> to_child(child);
  constellation::receiver<int> from_child(child);
  int ball = 0;
  for (int i = 0; i < rounds; ++i) {
    to_child.send(ball);
    ball = from_child.recv();
    std::cout << "ping " << i << " -> " << ball << std::endl;
  }
  std::cout << (ball == rounds ? "done" : "wrong count") << std::endl;
  return ball == rounds ? 0 : 1;
}
