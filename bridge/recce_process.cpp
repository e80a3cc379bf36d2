#include "recce_process.hpp"

#include "recce_output.hpp"

#include "posix/unique_fd.hpp"
#include "process/launcher.hpp"
#include "process/spawn_attributes.hpp"

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>

namespace constellation::bridge {

namespace asio = boost::asio;

namespace {

// Of stderr only the start is kept: it is shown in one line of a problem.
constexpr std::size_t kept_stderr = 4096;

class running_recce final : public recce_process,
                            public std::enable_shared_from_this<running_recce> {
 public:
  running_recce(asio::io_context& io, recce_handler handler)
      : out_pipe_(io), err_pipe_(io), exit_watch_(io), timer_(io), handler_(std::move(handler)) {}

  std::expected<void, std::string> spawn(const std::string& binary, std::vector<std::string> argv,
                                         std::vector<std::string> env) {
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0)
      return std::unexpected(std::string("pipe: ") + std::strerror(errno));
    posix::unique_fd out_read(out[0]), out_write(out[1]);
    if (::pipe2(err, O_CLOEXEC) != 0)
      return std::unexpected(std::string("pipe: ") + std::strerror(errno));
    posix::unique_fd err_read(err[0]), err_write(err[1]);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
    posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);
    // The bridge's sockets are not all close-on-exec (Asio does not ask for it): none may leak.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    const process::clean_spawn_attributes attributes(true);
    if (argv.empty()) argv.push_back(binary);
    auto argv_c = process::c_strings(argv);
    auto env_c = process::c_strings(env);
    const int error = ::posix_spawn(&pid_, binary.c_str(), &actions, attributes.get(),
                                    argv_c.data(), env_c.data());
    posix_spawn_file_actions_destroy(&actions);
    out_write.reset();
    err_write.reset();
    if (error != 0)
      return std::unexpected("cannot execute the program on the bridge: " +
                             std::string(std::strerror(error)));
    out_pipe_.assign(out_read.get());
    out_read.release();
    err_pipe_.assign(err_read.get());
    err_read.release();
    // The syscall: glibc 2.36's <sys/pidfd.h> lacks extern "C", so its pidfd_open() fails to link.
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    if (pidfd < 0) {
      const int open_error = errno;
      kill_group();
      int status;
      ::waitpid(pid_, &status, 0);  // just killed: returns at once
      pid_ = -1;
      return std::unexpected(std::string("pidfd_open: ") + std::strerror(open_error));
    }
    exit_watch_.assign(pidfd);
    return {};
  }

  void watch(std::chrono::milliseconds time_limit) {
    run_.time_limit = time_limit;
    read(out_pipe_, out_buffer_, run_.out, recce_output_limit, out_open_);
    read(err_pipe_, err_buffer_, run_.err, kept_stderr, err_open_);
    exit_watch_.async_wait(asio::posix::stream_descriptor::wait_read,
                           [self = shared_from_this()](const boost::system::error_code& ec) {
                             if (ec != asio::error::operation_aborted) self->on_exit();
                           });
    timer_.expires_after(time_limit);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      self->run_.timed_out = true;
      self->kill_group();
      self->finish();
    });
  }

  void cancel() override {
    handler_ = nullptr;
    kill_group();
    timer_.cancel();
  }

 private:
  void read(asio::posix::stream_descriptor& pipe, std::array<char, 4096>& buffer, std::string& kept,
            std::size_t limit, bool& open) {
    pipe.async_read_some(
        asio::buffer(buffer), [self = shared_from_this(), &pipe, &buffer, &kept, limit, &open](
                                  const boost::system::error_code& ec, std::size_t n) {
          if (ec) {
            open = false;
            return self->maybe_finish();
          }
          if (&kept == &self->run_.out && kept.size() + n > limit) {
            self->run_.too_much_output = true;
            self->kill_group();
            open = false;
            return self->finish();
          }
          kept.append(buffer.data(), std::min(n, limit - std::min(limit, kept.size())));
          self->read(pipe, buffer, kept, limit, open);
        });
  }

  // The program ended. Whatever it left running in its group goes too, now, while the group's id
  // cannot have been reused (the program is not reaped yet); the pipes then reach their end.
  void on_exit() {
    kill_group();
    int status = 0;
    if (::waitpid(pid_, &status, 0) == pid_ && !run_.timed_out && !run_.too_much_output)
      run_.status = report::exit_status::from_wait_status(status);
    pid_ = -1;
    exited_ = true;
    boost::system::error_code ignored;
    exit_watch_.close(ignored);
    maybe_finish();
  }

  void maybe_finish() {
    if (exited_ && !out_open_ && !err_open_) finish();
  }

  void finish() {
    timer_.cancel();
    if (handler_) {
      auto handler = std::move(handler_);
      handler_ = nullptr;
      // Posted, so that a handler that cancels or starts another recce never runs inside our own.
      asio::post(timer_.get_executor(),
                 [handler = std::move(handler), outcome = judge_recce(run_)] { handler(outcome); });
    }
    boost::system::error_code ignored;
    out_pipe_.close(ignored);
    err_pipe_.close(ignored);
    // The exit watch stays until the program is reaped.
  }

  void kill_group() {
    if (pid_ > 0) ::kill(-pid_, SIGKILL);
  }

  asio::posix::stream_descriptor out_pipe_, err_pipe_, exit_watch_;
  asio::steady_timer timer_;
  recce_handler handler_;
  pid_t pid_ = -1;
  recce_run run_;
  std::array<char, 4096> out_buffer_{}, err_buffer_{};
  bool out_open_ = true, err_open_ = true, exited_ = false;
};

}  // namespace

std::vector<std::string> recce_environment(std::vector<std::string> env) {
  std::erase_if(env, [](const std::string& setting) {
    return setting.starts_with("CONSTELLATION_RECCE=") ||
           setting.starts_with(std::string(process::monitor_variable) + "=");
  });
  env.emplace_back("CONSTELLATION_RECCE=1");
  return env;
}

std::shared_ptr<recce_process> start_recce(asio::io_context& io, const std::string& binary,
                                           std::vector<std::string> argv,
                                           std::vector<std::string> env, recce_handler handler,
                                           std::chrono::milliseconds time_limit) {
  auto recce = std::make_shared<running_recce>(io, handler);
  if (auto started = recce->spawn(binary, std::move(argv), recce_environment(std::move(env)));
      !started) {
    recce->cancel();
    asio::post(io, [handler = std::move(handler), why = started.error()] {
      handler(std::unexpected(why));
    });
    return recce;
  }
  recce->watch(time_limit);
  return recce;
}

}  // namespace constellation::bridge
