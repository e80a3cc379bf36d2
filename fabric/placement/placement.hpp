#pragma once
// Where the master runs each process: every node's free memory and CPU, and the spawns waiting for
// room. Pure bookkeeping: the master's event loop feeds it events and acts on its decisions.
//
// The policy:
// - First fit. A request goes to the first node, in nodes.toml order, that is up and has room now
//   for both its memory and its CPU. It is deterministic, so the same job on the same idle cluster
//   lands the same way every run, and it fills the first nodes, keeping later ones whole for large
//   requests.
// - Never fits. A request larger than every configured node's total capacity fails at once,
//   whether the nodes are up or not: no amount of waiting could place it. A node that is down
//   counts here, since it may come back.
// - No room now. A waiting request (spawn) joins a queue and gets a ticket; a non-waiting request
//   (try_spawn) gets no_capacity at once.
// - The queue is strict first come, first served. While any request waits, a later one waits
//   behind it (or, not waiting, gets no_capacity) even if it would fit now. Were small requests
//   allowed to overtake, a steady stream of them could keep a large one waiting forever; in strict
//   order a request waits only for the work ahead of it to finish.
// - admit_waiting places requests from the head of the queue while the head fits, and stops at the
//   first that does not.
// - CPU is counted in integer micro-cores, llround(cpu * 1e6), so that sums are exact: sixteen
//   processes of 1/16 core fill one core exactly, with no drift from adding doubles.
//
// Not thread-safe: one event loop owns it.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include <constellation/resources.hpp>

namespace constellation::fabric {

inline constexpr std::int64_t micro_cpu_per_core = 1'000'000;

struct capacity {
  std::uint64_t mem = 0;       // bytes
  std::int64_t micro_cpu = 0;  // millionths of a logical core
  friend bool operator==(const capacity&, const capacity&) = default;
};

// r in placement's units. Saturates rather than overflows: a NaN or huge cpu becomes the largest
// count (so it never fits), a negative cpu becomes 0. Requests are validated before they get here.
capacity to_capacity(const resources& r);

class placement {
 public:
  enum class outcome {
    placed,       // reserved on decision::node
    queued,       // waiting as decision::ticket; admit_waiting will place it, or cancel drop it
    no_capacity,  // not waiting, and no room now
    never_fits,   // larger than every configured node, up or down
  };
  struct decision {
    outcome what = outcome::no_capacity;
    std::size_t node = 0;      // when placed
    std::uint64_t ticket = 0;  // when queued; tickets start at 1
  };
  struct admission {
    std::uint64_t ticket = 0;
    std::size_t node = 0;
    friend bool operator==(const admission&, const admission&) = default;
  };
  struct node_usage {
    capacity total, used;
    bool up = true;
    std::size_t processes = 0;  // placed and not yet released
  };

  // Adds a node after those already added and returns its index. Call in nodes.toml order.
  std::size_t add_node(capacity total, bool up = true);

  // A node that is down takes no placements; its reservations stay until released, so release
  // each process that was on it as it is reported lost. Throws std::out_of_range for a bad index.
  void set_up(std::size_t node, bool up);

  // Places r now, queues it (wait) or refuses it, by the policy above.
  decision request(const resources& r, bool wait);

  // Returns what a process placed on node reserved, when it ends. Throws std::out_of_range for a
  // bad index and std::logic_error when more is released than was placed there.
  void release(std::size_t node, const resources& r);

  // Places waiting requests, head first, while the head fits; returns them in queue order, their
  // resources reserved. Call after anything that can make room: release, set_up(node, true),
  // cancel, add_node.
  [[nodiscard]] std::vector<admission> admit_waiting();

  // Drops a waiting request, e.g. because its job ended. False when the ticket is not waiting (not
  // issued, already cancelled, or already admitted: then the process holds a reservation that must
  // be released).
  bool cancel(std::uint64_t ticket);

  std::vector<node_usage> usage() const { return nodes_; }
  std::size_t waiting() const { return waiting_.size(); }

 private:
  struct waiter {
    std::uint64_t ticket;
    capacity need;
  };

  node_usage& node_at(std::size_t node, const char* call);
  static bool has_room(const node_usage& n, const capacity& need);
  std::size_t first_fit(const capacity& need) const;  // nodes_.size() when none has room
  bool fits_some_node(const capacity& need) const;
  void reserve(std::size_t node, const capacity& need);

  std::vector<node_usage> nodes_;
  std::deque<waiter> waiting_;
  std::uint64_t next_ticket_ = 1;
};

}  // namespace constellation::fabric
