#include "round.hpp"

#include "round_processes.hpp"
#include "soak_messages.hpp"

#include <constellation/constellation.hpp>

#include <optional>

namespace soak {

using constellation::channel_error;
using constellation::pid;
using namespace std::chrono_literals;

namespace {

// What the top process heard from one sender: its last note and how its channel ended.
struct sender_record {
  sender_note last;
  std::string end;  // "exited", "died", or why it was not heard to end
};

sender_record hear_sender(const pid& s) {
  sender_record record;
  constellation::receiver<sender_note> from(s);
  try {
    while (auto note = from.recv_for(60s)) record.last = *note;
    record.end = "silent for 60 s";
  } catch (const channel_error& e) {
    record.end = constellation::to_string(e.reason());
  }
  return record;
}

// The receiver's account, or nullopt with why in `end`.
std::optional<receiver_account> hear_receiver(const pid& r, std::string& end) {
  constellation::receiver<receiver_account> from(r);
  try {
    auto account = from.recv_for(60s);
    if (!account) end = "silent for 60 s";
    return account;
  } catch (const channel_error& e) {
    end = constellation::to_string(e.reason());
    return std::nullopt;
  }
}

void check_sender(std::size_t i, const sender_plan& plan, const sender_record& heard,
                  const receiver_account* account, round_outcome& out) {
  const auto problem = [&](const std::string& what) {
    out.problems.push_back("sender " + std::to_string(i) + " (" + to_string(plan.fate) + ", " +
                           std::to_string(plan.count) + " messages): " + what);
  };
  const auto& note = heard.last;
  if (!note.problem.empty()) problem(note.problem);
  if (heard.end == "died" && !killed(plan.fate)) problem("died, and was not to be killed");
  if (heard.end == "exited" && !note.final) problem("exited without its final note");
  if (heard.end != "died" && heard.end != "exited") problem("its notes ended: " + heard.end);
  if (!account) {
    out.unverified += note.returned;
    return;
  }
  if (!note.data_error.empty())
    problem("its sends failed (" + note.data_error + ") to a live receiver");
  const auto& end = account->ends.at(i);
  const auto next = account->next.at(i);
  if (next > plan.count)
    problem(std::to_string(next) + " arrived of " + std::to_string(plan.count) + " meant");
  if (end == "died" && killed(plan.fate)) {
    // Killed, perhaps while it exited (kill_async): what its runtime had not written is gone.
    if (next < note.returned) out.lost_to_kills += note.returned - next;
    return;
  }
  // It ended of its own accord: every send that returned arrived, and none other.
  if (end != "exited")
    problem("it exited of its own accord, but the receiver saw it end as " + end);
  if (next < note.returned)
    problem(std::to_string(note.returned) + " sends returned, " + std::to_string(next) +
            " arrived: lost");
  if (heard.end == "exited" && next > note.returned)
    problem(std::to_string(note.returned) + " sends returned, " + std::to_string(next) +
            " arrived: more than sent");
}

}  // namespace

round_outcome run_round(const round_plan& plan) {
  round_outcome out;
  constellation::this_process::spawn_by_exec(plan.by_exec);
  const pid r = constellation::spawn(child_resources, receive_round, plan.receiver_kill_after);
  std::vector<pid> senders;
  for (const auto& s : plan.senders)
    senders.push_back(constellation::spawn(child_resources, send_numbered, r, s));
  try {
    constellation::sender<std::vector<pid>>(r).send(senders);
  } catch (const channel_error& e) {
    out.problems.push_back(std::string("the receiver did not take its list of senders: ") +
                           e.what());
  }

  // One sender at a time: the others wait on a full window meanwhile, as the receiver reads them.
  std::vector<sender_record> heard;
  for (const auto& s : senders) heard.push_back(hear_sender(s));
  std::string receiver_end;
  const auto account = hear_receiver(r, receiver_end);
  if (!account && !(receiver_end == "died" && plan.receiver_kill_after != never))
    out.problems.push_back("receiver gave no account: " + receiver_end);
  if (account) {
    for (const auto& p : account->problems) out.problems.push_back("receiver: " + p);
    if (account->next.size() != senders.size()) {
      out.problems.push_back("receiver accounted for " + std::to_string(account->next.size()) +
                             " senders of " + std::to_string(senders.size()));
      return out;
    }
  }
  for (std::size_t i = 0; i < senders.size(); ++i) {
    check_sender(i, plan.senders[i], heard[i], account ? &*account : nullptr, out);
    out.sent += heard[i].last.returned;
    if (account) out.received += account->next[i];
  }
  return out;
}

}  // namespace soak
