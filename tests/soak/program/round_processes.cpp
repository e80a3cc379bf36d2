// The senders, the receiver and the senders' helpers of a soak round.
#include "round_processes.hpp"

#include "soak_messages.hpp"

#include <constellation/constellation.hpp>

#include <csignal>
#include <cstdlib>
#include <span>
#include <string>
#include <thread>

namespace soak {

using constellation::channel_errc;
using constellation::channel_error;
using constellation::pid;
using namespace std::chrono_literals;

namespace {

// Whatever the sender is doing then, as `kill -9` from outside would.
void kill_after_delay(std::uint32_t delay_ms) {
  std::thread([delay_ms] {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    std::raise(SIGKILL);
  }).detach();
}

// A grandchild: says one word to its parent, then exits or is killed. Its parent may have been
// killed meanwhile (kill_async): the send then fails, and the helper has no one to tell.
void helper(pid parent, bool killed) {
  try {
    constellation::sender<int>(parent).send(1);
  } catch (const channel_error&) {
  }
  if (killed) std::raise(SIGKILL);
}

// Spawns a helper and checks that its parent (a sender, which traps exits) hears its word and
// then learns how it ended. A problem, or "".
std::string run_helper(bool killed) {
  const pid h = constellation::spawn(child_resources, helper, killed);
  constellation::receiver<int> from(h);
  try {
    const auto word = from.recv_for(30s);
    if (word != 1)
      return word ? "helper sent " + std::to_string(*word) : "no word from helper in 30 s";
    const auto more = from.recv_for(30s);
    return more ? "helper sent a second word" : "helper neither ended nor spoke in 30 s";
  } catch (const channel_error& e) {
    const auto expected = killed ? channel_errc::died : channel_errc::exited;
    if (e.reason() == expected) return "";
    return std::string("helper ended as ") + constellation::to_string(e.reason()) + ", not " +
           constellation::to_string(expected);
  }
}

}  // namespace

void send_numbered(pid parent, pid to, sender_plan plan) {
  constellation::this_process::trap_exits();  // its helper's end is its own business
  constellation::sender<sender_note> notes(parent);
  if (plan.fate == sender_fate::kill_async) kill_after_delay(plan.delay_ms);
  sender_note note;
  if (plan.helper) note.problem = run_helper(plan.helper_killed);

  constellation::sender<numbered> data(to);
  try {
    for (std::uint64_t seq = 0; seq < plan.count; ++seq) {
      if (seq == plan.stop_at) {
        switch (plan.fate) {
          case sender_fate::exit_early:
          case sender_fate::fail_early:
            note.final = true;
            notes.send(note);
            // Every message whose send returned still reaches the receiver: the runtime's promise.
            std::exit(plan.fate == sender_fate::exit_early ? 0 : 3);
          case sender_fate::kill_at:
            notes.send(note);
            std::raise(SIGKILL);
            break;
          default:
            break;
        }
      }
      data.send(numbered{seq, padding_of(seq, plan.padding)});
      ++note.returned;
      if (note.returned % plan.note_every == 0) notes.send(note);
    }
  } catch (const channel_error& e) {
    // The receiver died (its round planned it, or the top will say it should not have).
    note.data_error = constellation::to_string(e.reason());
  }
  note.final = true;
  notes.send(note);
}

namespace {

class round_account {
 public:
  explicit round_account(std::size_t senders) {
    account_.next.assign(senders, 0);
    account_.ends.assign(senders, "");
  }

  void take(std::size_t sender, const numbered& m) {
    auto& next = account_.next[sender];
    if (m.seq != next)
      problem(sender, "message " + std::to_string(m.seq) + " came where " + std::to_string(next) +
                          " was due (" + (m.seq > next ? "lost" : "doubled or reordered") + ")");
    if (m.padding.find_first_not_of(static_cast<char>('a' + m.seq % 26)) != std::string::npos)
      problem(sender, "message " + std::to_string(m.seq) + " garbled");
    next = m.seq + 1;
    ++taken_;
  }
  void ended(std::size_t sender, const channel_error& e) {
    account_.ends[sender] = constellation::to_string(e.reason());
    if (e.reason() != channel_errc::exited && e.reason() != channel_errc::died)
      problem(sender, std::string("channel ended with ") + e.what());
  }
  std::uint64_t taken() const { return taken_; }
  const receiver_account& account() const { return account_; }

 private:
  void problem(std::size_t sender, const std::string& what) {
    // A sender whose stream went wrong once usually goes on wrong: the first few say enough.
    if (account_.problems.size() < 20)
      account_.problems.push_back("sender " + std::to_string(sender) + ": " + what);
  }

  receiver_account account_;
  std::uint64_t taken_ = 0;
};

}  // namespace

void receive_round(pid parent, std::uint64_t kill_after) {
  constellation::sender<receiver_account> to_parent(parent);
  const auto senders = constellation::receiver<std::vector<pid>>(parent).recv_for(60s);
  if (!senders) {
    to_parent.send(receiver_account{{}, {}, {"no list of senders from the top in 60 s"}});
    return;
  }
  round_account account(senders->size());
  if (kill_after == 0) std::raise(SIGKILL);

  std::vector<constellation::receiver<numbered>> open;
  std::vector<std::size_t> sender_of;  // open[i] receives from sender sender_of[i]
  for (std::size_t i = 0; i < senders->size(); ++i) {
    open.emplace_back((*senders)[i]);
    sender_of.push_back(i);
  }
  const auto drop = [&](std::size_t i) {
    open.erase(open.begin() + static_cast<std::ptrdiff_t>(i));
    sender_of.erase(sender_of.begin() + static_cast<std::ptrdiff_t>(i));
  };
  while (!open.empty()) {
    try {
      auto [i, message] = constellation::select(std::span(open));
      account.take(sender_of[i], message);
    } catch (const channel_error&) {
      // select does not say whose end it met: each receiver, asked without waiting, does.
      for (std::size_t i = open.size(); i-- > 0;) {
        try {
          while (auto message = open[i].try_recv()) account.take(sender_of[i], *message);
        } catch (const channel_error& e) {
          account.ended(sender_of[i], e);
          drop(i);
        }
      }
    }
    if (account.taken() >= kill_after) std::raise(SIGKILL);
  }
  to_parent.send(account.account());
}

}  // namespace soak
