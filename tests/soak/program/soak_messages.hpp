#pragma once
// What the processes of a soak job tell each other. A round (round.hpp) has one receiver and a
// few senders; each sender sends numbered messages to the receiver and notes to the top process
// of how many of its sends returned, so that the top can hold the receiver's count against them.

#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace soak {

// Message seq of a sender, with padding_of(seq, size) after it: sizes vary from a few bytes to
// ones that fill a channel's window, and the padding's bytes show a message mixed with another.
struct numbered {
  std::uint64_t seq = 0;
  std::string padding;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(seq, padding);
  }
};

inline std::string padding_of(std::uint64_t seq, std::uint32_t size) {
  return std::string(size, static_cast<char>('a' + seq % 26));
}

// A sender's word to the top process: `returned` of its sends to the receiver have returned, so
// at least that many must arrive. `final` when it is about to end of its own accord: no send
// returns after it. `data_error` names the channel error that ended its sending (the receiver
// died), `problem` anything it saw go wrong itself.
struct sender_note {
  std::uint64_t returned = 0;
  bool final = false;
  std::string data_error;
  std::string problem;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(returned, final, data_error, problem);
  }
};

// The receiver's account once every sender of its round has ended, by sender in the order the top
// process listed them: the length of the run 0, 1, 2, ... of each one's messages it received
// (`next`), how each ended ("exited" or "died"), and every message out of that run (lost,
// doubled, reordered or garbled) as a problem.
struct receiver_account {
  std::vector<std::uint64_t> next;
  std::vector<std::string> ends;
  std::vector<std::string> problems;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(next, ends, problems);
  }
};

}  // namespace soak
