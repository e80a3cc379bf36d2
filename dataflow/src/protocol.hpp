#pragma once
// The messages of a dataflow job, each a channel value (cereal-encoded by the channel layer):
// driver -> worker commands, worker -> driver reports, worker -> worker shuffle blocks.
//
// Ordering that the protocol relies on: a channel delivers in order, so a worker's end marker for a
// shuffle attempt reaches each peer after every block it pushed for that attempt; and a worker
// runs its commands in the order they were sent, so a flush follows the map tasks before it.

#include <constellation/pid.hpp>

#include <cereal/types/string.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/vector.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace constellation::dataflow::detail {

struct command {
  enum class kind : std::uint8_t {
    peers,  // peers: every worker's pid, by slot (sent first, and again after a replacement)
    task,   // task_id, partition, bytes: an entry and what it reads
    flush,  // shuffle, attempt: this worker wrote all it will for the attempt; tell every peer
    drop,   // dropped: stored shuffle outputs and caches nobody can use any more
    stop,   // the context ends: exit with status 0
  };
  kind what = kind::task;
  std::uint64_t task_id = 0;
  std::uint32_t partition = 0;
  std::string bytes;
  std::vector<pid> peers;
  std::uint64_t shuffle = 0;
  std::uint32_t attempt = 0;
  std::vector<std::uint64_t> dropped;

  template <class Archive>
  void serialize(Archive& a) {
    a(what, task_id, partition, bytes, peers, shuffle, attempt, dropped);
  }
};

struct report {
  enum class kind : std::uint8_t {
    result_part,  // bytes: part of a task's result (a task sends zero or more, then done)
    done,         // the task finished; kept: the cache partitions it now holds
    failed,       // error: what the task threw
    flushed,      // the end markers of (shuffle, attempt) are on their way to every peer
  };
  kind what = kind::done;
  std::uint64_t task_id = 0;
  std::string bytes;
  std::string error;
  std::vector<std::pair<std::uint64_t, std::uint32_t>> kept;
  std::uint64_t records_in = 0;
  std::uint64_t shuffle_bytes = 0;
  std::uint64_t spill_bytes = 0;

  template <class Archive>
  void serialize(Archive& a) {
    a(what, task_id, bytes, error, kept, records_in, shuffle_bytes, spill_bytes);
  }
};

struct block {
  std::uint64_t shuffle = 0;
  std::uint32_t attempt = 0;
  std::uint32_t partition = 0;
  std::uint32_t from_slot = 0;
  bool end = false;  // the end marker of (shuffle, attempt) from from_slot; no bytes
  std::string bytes;

  template <class Archive>
  void serialize(Archive& a) {
    a(shuffle, attempt, partition, from_slot, end, bytes);
  }
};

}  // namespace constellation::dataflow::detail
