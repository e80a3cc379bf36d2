#include "deploy_job.hpp"

#include "bridge_connection.hpp"
#include "run_problem.hpp"
#include "stdin_forwarder.hpp"

#include "cluster/whole_file.hpp"
#include "crypto/crypto.hpp"
#include "report/exit_code.hpp"
#include "wire/cluster_messages.hpp"

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

namespace constellation::deploy {

namespace asio = boost::asio;

std::expected<std::string, std::string> read_binary(const std::string& path) {
  auto bytes = cluster::read_whole_file(path, wire::max_binary_size);
  if (!bytes) return std::unexpected("cannot deploy the binary: " + bytes.error());
  if (bytes->empty()) return std::unexpected("the binary " + path + " is empty");
  return bytes;
}

namespace {

class deploy_session {
 public:
  deploy_session(const deploy_settings& settings, std::string binary)
      : settings_(settings),
        writer_(report::make_event_writer(settings.format)),
        signals_(io_, SIGINT, SIGTERM, SIGHUP),
        give_up_(io_),
        binary_(std::move(binary)) {
    program_.binary_hash = crypto::sha256_hex(*binary_);
    program_.binary_size = binary_->size();
    program_.argv.push_back(settings.binary);
    program_.argv.insert(program_.argv.end(), settings.args.begin(), settings.args.end());
    program_.env = settings.env;
  }

  int run() {
    wait_for_signals();
    connect_to_bridge(
        io_, settings_.bridge, settings_.secret,
        [this](std::shared_ptr<agent::frame_connection> connection, std::string already) {
          on_connected(connection, already);
        },
        [this](const std::string& problem) { fail(problem); });
    io_.run();
    return exit_code_;
  }

 private:
  void on_connected(std::shared_ptr<agent::frame_connection> connection, std::string& already) {
    if (done_) return connection->close();
    connection_ = connection;
    connection_->start(
        [this](std::uint8_t type, std::string_view payload) { on_frame(type, payload); },
        [this](const agent::connection_end& end) {
          fail("lost the connection to the bridge at " + settings_.bridge.text + " (" + end.text +
               ")");
        },
        std::move(already));
    if (done_) return;
    connection_->send(wire::encode_message(wire::deploy_request{program_}));
    program_.env.clear();
    stdin_ = forward_stdin(
        io_, 0,
        [this](std::string bytes) {
          stdin_in_flight_ += bytes.size();
          send(wire::stdin_data{0, std::move(bytes)});
          // The next chunk must fit the window (wire/cluster_messages.hpp, "Flow control").
          if (stdin_in_flight_ + stdin_chunk > wire::stdin_window) stdin_->pause();
        },
        [this](const std::string& problem) {
          // A stdin that cannot be read ends there for the program, as at end of file; say why.
          if (!problem.empty() && settings_.format == report::output_format::human)
            report::write_all(2, "constellation-deploy: " + problem + "\n");
          send(wire::stdin_eof{0});
        });
  }

  template <class Message>
  void send(const Message& m) {
    if (connection_ && !done_) connection_->send(wire::encode_message(m));
  }

  void on_frame(std::uint8_t type, std::string_view payload) {
    if (done_) return;
    switch (static_cast<wire::cluster_type>(type)) {
      case wire::cluster_type::job_event: {
        auto event = wire::decode_message<wire::job_event>(payload);
        if (!event) return fail("the bridge sent a malformed job_event");
        writer_->write(event->event);
        rule_.observe(event->event);
        // The job runs: the bridge has the binary, and will not ask for it any more.
        binary_.reset();
        return;
      }
      case wire::cluster_type::need_binary: {
        auto need = wire::decode_message<wire::need_binary>(payload);
        if (!need || need->binary_hash != program_.binary_hash || !binary_)
          return fail("the bridge asked for a binary this client did not offer");
        // Moved into the message: a binary may be large, and it is uploaded at most once.
        send(wire::binary_upload{program_.binary_hash, std::move(*binary_)});
        binary_.reset();
        return;
      }
      case wire::cluster_type::stdin_credit: {
        auto credit = wire::decode_message<wire::stdin_credit>(payload);
        if (!credit || credit->bytes > stdin_in_flight_)
          return fail("the bridge sent a stdin_credit for stdin it was not sent");
        stdin_in_flight_ -= credit->bytes;
        if (stdin_ && stdin_in_flight_ + stdin_chunk <= wire::stdin_window) stdin_->resume();
        return;
      }
      case wire::cluster_type::job_finished: {
        auto finished = wire::decode_message<wire::job_finished>(payload);
        if (!finished) return fail("the bridge sent a malformed job_finished");
        if (!finished->problem.empty()) return fail(finished->problem);
        return end(rule_.exit_code());
      }
      default:
        return fail("the bridge sent a message of unexpected type " + std::to_string(type));
    }
  }

  void wait_for_signals() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
      if (ec || done_) return;
      ++interrupts_;
      if (!connection_) {
        // Nothing runs yet: stop here, as the shell expects of an interrupted command.
        return end(128 + signal);
      }
      if (interrupts_ == 1) {
        send(wire::end_job{0, false, signal});  // the processes get the same signal, as locally
      } else if (interrupts_ == 2) {
        send(wire::end_job{0, true, signal});
        give_up_.expires_after(second_interrupt_wait);
        give_up_.async_wait([this](const boost::system::error_code& timer_ec) {
          if (!timer_ec)
            fail("the job did not end within " + std::to_string(second_interrupt_wait.count()) +
                 " s of being ended at once; its processes may still run");
        });
      } else {
        return fail("stopped waiting for the job's end; its processes may still run");
      }
      wait_for_signals();
    });
  }

  void fail(const std::string& problem) {
    if (done_) return;
    show_problem(settings_.format, problem);
    end(exit_code_with_problem(rule_.exit_code()));
  }

  void end(int code) {
    if (done_) return;
    done_ = true;
    exit_code_ = code;
    if (stdin_) stdin_->stop();
    if (connection_) connection_->close();
    io_.stop();
  }

  const deploy_settings& settings_;
  asio::io_context io_;
  std::unique_ptr<report::event_writer> writer_;
  report::exit_code_rule rule_;
  asio::signal_set signals_;
  asio::steady_timer give_up_;
  std::optional<std::string> binary_;
  wire::program_description program_;
  std::shared_ptr<agent::frame_connection> connection_;
  std::shared_ptr<stdin_forwarder> stdin_;
  std::uint64_t stdin_in_flight_ = 0;  // sent, and not yet credited by the top process's node
  int interrupts_ = 0;
  bool done_ = false;
  int exit_code_ = 1;
};

}  // namespace

int run_deploy(const deploy_settings& settings) {
  auto binary = read_binary(settings.binary);
  if (!binary) {
    show_problem(settings.format, binary.error());
    return 1;
  }
  // Writing to a reader that went away must cost the write, not the run: see report::write_all.
  ::signal(SIGPIPE, SIG_IGN);
  deploy_session session(settings, std::move(*binary));
  return session.run();
}

}  // namespace constellation::deploy
