#include "agent/monitor_starter.hpp"

#include "process/descriptor_passing.hpp"
#include "wire/fork_messages.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace constellation::agent {

std::optional<spawn_method> parse_spawn_method(std::string_view text) {
  if (text == "fork") return spawn_method::fork_server;
  if (text == "exec") return spawn_method::exec;
  return std::nullopt;
}

spawn_method spawn_method_of(const std::vector<std::string>& envp) {
  const std::string prefix = std::string(spawn_method_variable) + "=";
  for (const auto& entry : envp)
    if (entry.starts_with(prefix))
      return parse_spawn_method(std::string_view(entry).substr(prefix.size()))
          .value_or(spawn_method::fork_server);
  return spawn_method::fork_server;
}

std::shared_ptr<monitor_starter> monitor_starter::create(boost::asio::io_context& io,
                                                         process::program_image image,
                                                         spawn_method method,
                                                         trouble_handler on_trouble) {
  return std::shared_ptr<monitor_starter>(
      new monitor_starter(io, std::move(image), method, std::move(on_trouble)));
}

monitor_starter::monitor_starter(boost::asio::io_context& io, process::program_image image,
                                 spawn_method method, trouble_handler on_trouble)
    : io_(io), image_(std::move(image)), method_(method), on_trouble_(std::move(on_trouble)) {}

// Closing the socket ends the server (end of file); requests still unanswered belong to an agent
// that is going away itself.
monitor_starter::~monitor_starter() = default;

void monitor_starter::prestart() {
  if (method_ == spawn_method::fork_server && server_ == server_state::not_started) start_server();
}

bool monitor_starter::start_server() {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    server_ = server_state::gone;
    return false;
  }
  posix::unique_fd ours(pair[0]), theirs(pair[1]);
  auto launched = process::launch_fork_server(image_, theirs.get());
  if (!launched) {
    server_ = server_state::gone;
    if (on_trouble_) on_trouble_("cannot start the fork server: " + launched.error());
    return false;
  }
  ::fcntl(ours.get(), F_SETFL, ::fcntl(ours.get(), F_GETFL) | O_NONBLOCK);
  // A pidfd names this very process even after it was reaped and its pid reused.
  server_pidfd_.reset(static_cast<int>(::syscall(SYS_pidfd_open, *launched, 0)));
  socket_.emplace(io_, ours.release());
  server_ = server_state::running;
  wait_readable();
  return true;
}

void monitor_starter::start(const wire::launch_spec& spec, process::monitor_fds fds,
                            started_handler done) {
  owned_fds owned{posix::unique_fd(fds.report), posix::unique_fd(fds.control),
                  posix::unique_fd(fds.listener), posix::unique_fd(fds.stdin_fd)};
  if (method_ == spawn_method::exec || spec.fresh_exec || stopping_ ||
      server_ == server_state::gone)
    return execute(spec, std::move(owned), std::move(done));
  if (server_ == server_state::not_started) {
    // The server takes as long to start as this monitor would: execute this one meanwhile.
    start_server();
    return execute(spec, std::move(owned), std::move(done));
  }
  auto spec_file = process::write_spec_file(spec);
  if (!spec_file) return execute(spec, std::move(owned), std::move(done));
  const auto id = next_id_++;
  requests_.emplace(id, request{spec, std::move(owned), std::move(*spec_file), std::move(done)});
  unsent_.push_back(id);
  send_waiting();
}

void monitor_starter::execute(const wire::launch_spec& spec, owned_fds fds, started_handler done) {
  auto monitor = process::launch_monitor(
      image_, spec, {fds.report.get(), fds.control.get(), fds.listener.get(), fds.stdin_fd.get()});
  fds = {};  // the monitor has its copies; the agent keeps its own ends elsewhere
  done(std::move(monitor));
}

void monitor_starter::send_waiting() {
  while (!unsent_.empty() && server_ == server_state::running && !writing_) {
    auto& r = requests_.at(unsent_.front());
    std::vector<int> fds{r.spec_file.get()};
    std::uint8_t attached = wire::fork_slot_bit(wire::fork_slot::spec);
    const std::pair<const posix::unique_fd*, wire::fork_slot> optional_fds[] = {
        {&r.fds.report, wire::fork_slot::report},
        {&r.fds.control, wire::fork_slot::control},
        {&r.fds.listener, wire::fork_slot::listener},
        {&r.fds.stdin_fd, wire::fork_slot::stdin_fd}};
    for (auto [fd, at] : optional_fds)
      if (*fd) {
        fds.push_back(fd->get());
        attached |= wire::fork_slot_bit(at);
      }
    const int error = process::send_record(
        socket_->native_handle(),
        wire::encode_message(wire::fork_request{unsent_.front(), attached}), fds);
    if (error == EAGAIN || error == EWOULDBLOCK) return wait_writable();
    // The server is gone: what it never got is executed once its end of file comes.
    if (error == EPIPE || error == ECONNRESET) return;
    if (error != 0) {
      // The server lives but this request cannot reach it (too many descriptors in flight, say).
      const auto id = unsent_.front();
      unsent_.pop_front();
      auto refused = std::move(r);
      requests_.erase(id);
      execute(refused.spec, std::move(refused.fds), std::move(refused.done));
      continue;
    }
    r.spec_file.reset();
    unsent_.pop_front();
  }
}

void monitor_starter::wait_writable() {
  writing_ = true;
  socket_->async_wait(boost::asio::posix::stream_descriptor::wait_write,
                      [self = shared_from_this()](const boost::system::error_code& ec) {
                        self->writing_ = false;
                        if (!ec) self->send_waiting();
                      });
}

void monitor_starter::wait_readable() {
  socket_->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                      [self = shared_from_this()](const boost::system::error_code& ec) {
                        if (ec || !self->socket_) return;
                        self->read_answers();
                      });
}

void monitor_starter::read_answers() {
  while (socket_) {
    auto received = process::receive_record(socket_->native_handle(), wire::max_fork_record, true);
    if (!received && (received.error() == EAGAIN || received.error() == EWOULDBLOCK))
      return wait_readable();
    // A server that dies with requests unread makes the kernel report ECONNRESET here once, ahead
    // of the acknowledgements still queued: those are read next, and only end of file says that
    // none is left. Executing the unanswered requests at the reset would start a forked one twice.
    if (!received && received.error() == ECONNRESET) continue;
    if (!received)
      return server_lost(std::string("its socket failed: ") + std::strerror(received.error()));
    if (!*received) return server_lost("it exited");
    auto frame = wire::decode_frame((*received)->bytes);
    bool understood = false;
    if (frame && *frame && !(*received)->truncated && (*received)->fds.empty()) {
      const auto payload = (*frame)->payload;
      switch (static_cast<wire::fork_message>((*frame)->type)) {
        case wire::fork_message::forked:
          // Each fork is acknowledged twice, by the server and by the child: the second finds
          // the request answered already.
          if (auto m = wire::decode_message<wire::forked>(payload); m && m->request_id < next_id_) {
            if (requests_.contains(m->request_id)) answered(m->request_id, m->os_pid);
            understood = true;
          }
          break;
        case wire::fork_message::refused:
          if (auto m = wire::decode_message<wire::fork_refused>(payload);
              m && requests_.contains(m->request_id)) {
            // The server could not fork (no memory, too many processes): an exec may still work.
            auto r = std::move(requests_.at(m->request_id));
            requests_.erase(m->request_id);
            execute(r.spec, std::move(r.fds), std::move(r.done));
            close_when_idle();
            understood = true;
          }
          break;
        default:
          break;
      }
    }
    // Nothing but our own server and its children write here: an answer that makes no sense
    // means the server cannot be trusted with more. Killed, it reaches end of file, and what it
    // did not fork is executed.
    if (!understood && !stopping_) {
      if (server_pidfd_) ::syscall(SYS_pidfd_send_signal, server_pidfd_.get(), SIGKILL, nullptr, 0);
      if (on_trouble_)
        on_trouble_(
            "the fork server sent a malformed answer: it is ended, and processes are executed "
            "instead");
      stopping_ = true;
    }
  }
}

void monitor_starter::answered(std::uint64_t id, std::expected<pid_t, std::string> monitor) {
  auto it = requests_.find(id);
  auto done = std::move(it->second.done);
  requests_.erase(it);  // closes this process's copies of the monitor's descriptors
  done(std::move(monitor));
  close_when_idle();
}

void monitor_starter::server_lost(const std::string& why) {
  const bool expected = stopping_ && requests_.empty();
  server_ = server_state::gone;
  socket_.reset();
  if (!expected && on_trouble_)
    on_trouble_("the fork server stopped serving (" + why + "): processes are executed instead");
  // End of file came after the acknowledgement of every monitor that exists: what is left was
  // never forked.
  auto left = std::exchange(requests_, {});
  unsent_.clear();
  for (auto& [id, r] : left) execute(r.spec, std::move(r.fds), std::move(r.done));
}

void monitor_starter::stop() {
  stopping_ = true;
  close_when_idle();
}

void monitor_starter::close_when_idle() {
  if (!stopping_ || !requests_.empty() || !socket_) return;
  socket_.reset();  // the server reads end of file and exits
  server_ = server_state::gone;
}

}  // namespace constellation::agent
