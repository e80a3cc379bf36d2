#pragma once
// Which master a node belongs to. Two masters that list the same node must not take it from each
// other (each time ending every process on it), while a master that restarts or whose link was cut
// must get its node back. So the node belongs to the first master that connects, takes the same
// master back at once, and another one only once the owner's link has been lost for a grace
// period. Pure: the caller passes the time, so tests need no clock and no sockets.

#include <chrono>
#include <optional>
#include <string>

namespace constellation::fabric {

class master_ownership {
 public:
  using clock = std::chrono::steady_clock;

  explicit master_ownership(clock::duration grace) : grace_(grace) {}

  struct decision {
    bool accepted = false;
    std::string previous_owner;  // accepted: the owner it took over from (gone past the grace)
    std::string problem;         // refused: why, naming the owner, and what to do
  };
  // A master naming itself identity (its LISTEN address) connects at now. Accepted, it is the
  // owner and linked from now on.
  decision claim(const std::string& identity, clock::time_point now);

  // The owner's link was lost at now: the grace period starts.
  void lost(clock::time_point now);

  // The owner's identity; empty before the first master.
  const std::string& owner() const { return owner_; }

 private:
  clock::duration grace_;
  std::string owner_;
  bool linked_ = false;
  clock::time_point lost_at_{};
};

}  // namespace constellation::fabric
