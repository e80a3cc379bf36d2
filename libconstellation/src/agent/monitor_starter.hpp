#pragma once
// Starting the monitors of one program image (a job's binary, argv and environment on one node):
// forked by the image's fork server (process/fork_server.hpp) while it serves, else executed.
// Requests to the server are pipelined: the agent never waits for a fork, and a burst of spawns
// costs the server one fork each, back to back, while the forked monitors start their processes
// in parallel. A server that dies, or cannot serve, is noticed by end of file on its socket; every
// request it had not forked is then executed instead, and so is every later one.

#include "posix/unique_fd.hpp"
#include "process/launcher.hpp"
#include "process/monitor_fds.hpp"
#include "wire/launch_spec.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace constellation::agent {

// How a node agent starts processes: by forking them from a fork server of the job's program (the
// default), or by executing the program afresh for each (CONSTELLATION_SPAWN=exec).
enum class spawn_method : std::uint8_t { fork_server, exec };

inline constexpr const char* spawn_method_variable = "CONSTELLATION_SPAWN";

// "fork" or "exec"; nullopt for anything else.
std::optional<spawn_method> parse_spawn_method(std::string_view text);
// The method a job's environment ("NAME=value" entries) asks for: exec when CONSTELLATION_SPAWN is
// "exec", else the fork server.
spawn_method spawn_method_of(const std::vector<std::string>& envp);

class monitor_starter : public std::enable_shared_from_this<monitor_starter> {
 public:
  // The new monitor's OS pid, or why no monitor could be started.
  using started_handler = std::move_only_function<void(std::expected<pid_t, std::string>)>;
  // Told once why the fork server stopped serving before it was asked to (a daemon logs it).
  using trouble_handler = std::function<void(const std::string&)>;

  static std::shared_ptr<monitor_starter> create(boost::asio::io_context& io,
                                                 process::program_image image, spawn_method method,
                                                 trouble_handler on_trouble = {});
  ~monitor_starter();
  monitor_starter(const monitor_starter&) = delete;
  monitor_starter& operator=(const monitor_starter&) = delete;

  // Starts the fork server now, so that the first start() already finds it (the local bridge does
  // this at the job's start). Nothing for the exec method.
  void prestart();

  // Starts a monitor for spec, handing it fds (in this process's numbering), which this takes over
  // and closes. It is forked by the fork server unless spec.fresh_exec, the method is exec, or the
  // server is gone; a first start() without prestart() starts the server and executes this one
  // monitor meanwhile. done is called once, on the io_context's thread: at once for an executed
  // monitor (before start returns), once the monitor acknowledged for a forked one.
  void start(const wire::launch_spec& spec, process::monitor_fds fds, started_handler done);

  // No request goes to the fork server from now on; it ends once every request sent to it has
  // been answered. Starts after stop() execute.
  void stop();

  // Whether starts go to a fork server now.
  bool serving() const { return server_ == server_state::running && !stopping_; }

 private:
  enum class server_state { not_started, running, gone };
  struct owned_fds {
    posix::unique_fd report, control, listener, stdin_fd;
  };
  struct request {
    wire::launch_spec spec;      // kept to execute it if the server does not fork it
    owned_fds fds;               // the monitor's, until it exists
    posix::unique_fd spec_file;  // until sent
    started_handler done;
  };

  monitor_starter(boost::asio::io_context& io, process::program_image image, spawn_method method,
                  trouble_handler on_trouble);
  bool start_server();
  void execute(const wire::launch_spec& spec, owned_fds fds, started_handler done);
  void send_waiting();
  void wait_writable();
  void wait_readable();
  void read_answers();
  void answered(std::uint64_t id, std::expected<pid_t, std::string> monitor);
  void server_lost(const std::string& why);
  void close_when_idle();

  boost::asio::io_context& io_;
  process::program_image image_;
  spawn_method method_;
  trouble_handler on_trouble_;
  server_state server_ = server_state::not_started;
  posix::unique_fd server_pidfd_;
  std::optional<boost::asio::posix::stream_descriptor> socket_;
  bool stopping_ = false;
  bool writing_ = false;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, request> requests_;  // sent or waiting to be, until answered
  std::deque<std::uint64_t> unsent_;
};

}  // namespace constellation::agent
