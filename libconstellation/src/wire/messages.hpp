#pragma once
// The messages between a process, its monitor and the node agent that started them (the bridge
// when a job runs locally, a fabric daemon in a cluster). Each is one frame whose payload is the
// message in cereal's binary encoding.

#include <constellation/detail/serialization.hpp>
#include <constellation/pid.hpp>
#include <constellation/resources.hpp>

#include "identity/code_identity.hpp"
#include "report/process_event.hpp"
#include "wire/frame.hpp"

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace constellation::wire {

enum class message_type : std::uint8_t {
  // process -> node agent, on the process's control connection
  spawn_request = 1,
  spawn_reply = 2,
  peer_status_request = 3,
  peer_status_reply = 4,
  progress = 5,        // one way: the agent never answers it
  counter_report = 6,  // one way
  // monitor -> node agent, on the monitor's report connection
  started = 10,
  launch_failed = 11,
  output = 12,
  eof = 13,
  exited = 14,
  // node agent -> monitor
  terminate = 20,
};

struct spawn_request {
  static constexpr auto type = message_type::spawn_request;
  std::uint64_t request_id = 0;
  pid parent;
  resources needs;
  identity::code_identity entry;     // the typed trampoline spawn<F> instantiated
  identity::code_identity function;  // the user's function
  std::string arguments;             // the trampoline's serialized argument tuple
  bool wait_for_capacity = true;
  bool trap_exits = false;  // the parent takes charge of the child's failure (supervision.hpp)
  bool fresh_exec = false;  // start the child by exec, not from the fork server (spawn.hpp)
  template <class Archive>
  void serialize(Archive& a) {
    a(request_id, parent, needs, entry, function, arguments, wait_for_capacity, trap_exits,
      fresh_exec);
  }
};

struct spawn_reply {
  static constexpr auto type = message_type::spawn_reply;
  std::uint64_t request_id = 0;
  pid child;               // null on failure
  std::uint8_t error = 0;  // a spawn_errc when child is null
  std::string message;
  template <class Archive>
  void serialize(Archive& a) {
    a(request_id, child, error, message);
  }
};

// What a node agent knows of a process, for a peer that could not reach it.
enum class peer_status : std::uint8_t { alive, exited, died, unknown };

struct peer_status_request {
  static constexpr auto type = message_type::peer_status_request;
  std::uint64_t request_id = 0;
  pid who;
  template <class Archive>
  void serialize(Archive& a) {
    a(request_id, who);
  }
};

struct peer_status_reply {
  static constexpr auto type = message_type::peer_status_reply;
  std::uint64_t request_id = 0;
  peer_status status = peer_status::unknown;
  template <class Archive>
  void serialize(Archive& a) {
    a(request_id, status);
  }
};

// The process's status line, or its removal. The process sends it without waiting for anything
// and at most about ten a second (runtime/progress_reporter.hpp); the agent turns it into a
// report::progress_event.
struct progress_report {
  static constexpr auto type = message_type::progress;
  bool clear = false;
  std::string text;
  std::vector<std::pair<std::string, double>> figures;
  template <class Archive>
  void serialize(Archive& a) {
    a(clear, text, figures);
  }
};

// Additions to the job's counters since the last report (constellation::add_to_counter), sent at
// most once a second (runtime/counter_reporter.hpp). In a cluster the master sums them per job
// for /metrics; a local run has nobody to serve them and ignores them.
struct counter_report {
  static constexpr auto type = message_type::counter_report;
  std::vector<std::pair<std::string, double>> increments;
  template <class Archive>
  void serialize(Archive& a) {
    a(increments);
  }
};

// Every reply on a control connection starts with the id of its request.
struct reply_header {
  std::uint64_t request_id = 0;
  template <class Archive>
  void serialize(Archive& a) {
    a(request_id);
  }
};

struct started_report {
  static constexpr auto type = message_type::started;
  std::int32_t os_pid = 0;
  template <class Archive>
  void serialize(Archive& a) {
    a(os_pid);
  }
};

struct launch_failed_report {
  static constexpr auto type = message_type::launch_failed;
  std::string message;
  template <class Archive>
  void serialize(Archive& a) {
    a(message);
  }
};

struct output_report {
  static constexpr auto type = message_type::output;
  std::uint8_t fd = 1;
  std::string data;
  template <class Archive>
  void serialize(Archive& a) {
    a(fd, data);
  }
};

struct eof_report {
  static constexpr auto type = message_type::eof;
  std::uint8_t fd = 1;
  template <class Archive>
  void serialize(Archive& a) {
    a(fd);
  }
};

struct exit_report {
  static constexpr auto type = message_type::exited;
  report::exit_status status;
  std::string reason;
  template <class Archive>
  void serialize(Archive& a) {
    a(status, reason);
  }
};

struct terminate_order {
  static constexpr auto type = message_type::terminate;
  bool immediately = false;  // SIGKILL now, rather than signal and SIGKILL after a grace period
  std::int32_t signal = 15;  // SIGTERM; SIGINT for an interrupt, SIGHUP for a lost terminal
  template <class Archive>
  void serialize(Archive& a) {
    a(immediately, signal);
  }
};

template <class Message>
void append_message(std::string& out, const Message& m) {
  append_frame(out, static_cast<std::uint8_t>(Message::type), detail::serialize_value(m));
}

template <class Message>
std::string encode_message(const Message& m) {
  std::string out;
  append_message(out, m);
  return out;
}

// As encode_message, with streams of its own rather than the thread's: for exit handlers, which
// run after the exiting thread's thread_local streams are destroyed.
template <class Message>
std::string encode_message_at_exit(const Message& m) {
  std::string payload;
  detail::string_sink sink;
  sink.retarget(payload);
  std::ostream stream(&sink);
  detail::serialize_into(stream, m);
  std::string out;
  append_frame(out, static_cast<std::uint8_t>(Message::type), payload);
  return out;
}

// The message in a frame's payload; an error text when the payload is not a valid Message.
template <class Message>
std::expected<Message, std::string> decode_message(std::string_view payload) {
  try {
    return detail::deserialize_value<Message>(payload);
  } catch (const std::exception& e) {
    return std::unexpected(std::string("malformed message: ") + e.what());
  }
}

}  // namespace constellation::wire
