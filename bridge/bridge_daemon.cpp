#include "bridge_daemon.hpp"

#include "cluster/authenticated_link.hpp"
#include "crypto/crypto.hpp"
#include "runtime/pid_access.hpp"

#include <signal.h>
#include <cstdio>
#include <cstring>

namespace constellation::bridge {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// A job forgotten by its client gets this long, after it was ended at once, for the master's
// job_finished; then the bridge forgets it too.
constexpr auto orphan_forget = std::chrono::seconds(30);

const pid& event_process(const report::process_event& e) {
  return std::visit(
      [](const auto& event) -> const pid& {
        if constexpr (std::is_same_v<std::decay_t<decltype(event)>, report::spawn_event>)
          return event.child;
        else
          return event.process;
      },
      e);
}

std::string reframed(std::uint8_t type, std::string_view payload) {
  std::string out;
  wire::append_frame(out, type, payload);
  return out;
}

}  // namespace

bridge_daemon::bridge_daemon(asio::io_context& io, bridge_settings settings,
                             cluster::binary_cache cache, const cluster::daemon_log& log)
    : io_(io),
      settings_(std::move(settings)),
      cache_(std::move(cache)),
      log_(log),
      pruner_(io.get_executor(), cache_, settings_.cache_bounds, log, "the bridge's cache",
              [this] { return binaries_in_use(); }),
      acceptor_(io),
      accept_pause_(io.get_executor(), log, "deploy clients"),
      master_(io, settings_.master, {settings_.secret, wire::purpose::bridge, "bridge"}, log,
              {[this] { on_master_connected(); },
               [this](std::uint8_t type, std::string_view payload) {
                 on_master_message(type, payload);
               },
               [this](const std::string& why) { on_master_lost(why); }}) {}

bridge_daemon::~bridge_daemon() {
  for (auto& [job_id, j] : jobs_)
    if (j.recce) j.recce->cancel();
}

std::expected<void, std::string> bridge_daemon::start() {
  boost::system::error_code ec;
  const auto at = cluster::tcp_endpoint(settings_.listen);
  if (acceptor_.open(at.protocol(), ec); !ec)
    acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(at, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return std::unexpected("cannot listen on " + settings_.listen.text + ": " + ec.message());
  const auto bound = local_endpoint();
  log_.info("listening for deploy clients on " + bound.address().to_string() + ":" +
            std::to_string(bound.port()) + ", binaries cached in " + cache_.dir() + " (" +
            cluster::describe(settings_.cache_bounds) + ")");
  pruner_.start();
  accept_next();
  master_.start();
  return {};
}

asio::ip::tcp::endpoint bridge_daemon::local_endpoint() const {
  boost::system::error_code ignored;
  return acceptor_.local_endpoint(ignored);
}

// ---- clients ------------------------------------------------------------------------------------

void bridge_daemon::accept_next() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      const std::string peer = cluster::peer_text(socket);
      const std::string host = cluster::peer_host(socket);
      cluster::accept_link(
          std::move(socket), {settings_.secret, wire::purpose::deploy, "bridge"},
          [this, peer](std::shared_ptr<agent::frame_connection> connection, std::string,
                       std::string already) {
            const auto id = next_client_++;
            clients_[id] = client{connection, peer, 0};
            log_.debug("client " + peer + " connected");
            connection->start(
                [this, id](std::uint8_t type, std::string_view payload) {
                  on_client_frame(id, type, payload);
                },
                [this, id](const agent::connection_end& end) { on_client_closed(id, end); },
                std::move(already));
          },
          [this, peer, host](const cluster::link_failure& failure) {
            const auto verdict = refusals_.occurred(host, std::chrono::steady_clock::now());
            if (verdict.log)
              log_.warn("refused a connection from " + peer + ": " + failure.text() +
                        cluster::repeat_limiter::note(verdict));
          });
      accept_pause_.succeeded();
    } else if (acceptor_.is_open()) {
      // Out of descriptors, most likely: the listener stays, and tries again after a pause.
      return accept_pause_.failed(ec, [this] { accept_next(); });
    } else {
      return;
    }
    accept_next();
  });
}

void bridge_daemon::on_client_frame(std::uint64_t id, std::uint8_t type, std::string_view payload) {
  if (!clients_.contains(id)) return;
  const auto malformed = [&](const char* what) {
    protocol_error(id, std::string("malformed ") + what);
  };
  switch (static_cast<wire::cluster_type>(type)) {
    case wire::cluster_type::deploy_request:
      if (auto request = wire::decode_message<wire::deploy_request>(payload))
        return on_deploy_request(id, std::move(*request));
      return malformed("deploy_request");
    case wire::cluster_type::binary_upload:
      if (auto upload = wire::decode_message<wire::binary_upload>(payload))
        return on_upload(id, std::move(*upload));
      return malformed("binary_upload");
    case wire::cluster_type::stdin_data:
    case wire::cluster_type::stdin_eof:
    case wire::cluster_type::end_job:
      return on_job_message(id, type, payload);
    case wire::cluster_type::status_request:
    case wire::cluster_type::jobs_request:
    case wire::cluster_type::kill_job_request:
      return on_query(id, reframed(type, payload));
    default:
      return protocol_error(id, "unexpected message of type " + std::to_string(type));
  }
}

void bridge_daemon::on_client_closed(std::uint64_t id, const agent::connection_end& end) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  if (end.why == agent::connection_end::cause::peer_closed)
    log_.debug("client " + it->second.peer + " left");
  else
    log_.warn("dropped the connection from " + it->second.peer + ": " + end.text);
  client_gone(id);
}

void bridge_daemon::protocol_error(std::uint64_t id, const std::string& why) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  log_.warn("closing the connection from " + it->second.peer + ": " + why);
  it->second.connection->close();
  client_gone(id);
}

void bridge_daemon::client_gone(std::uint64_t id) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  const auto job_id = it->second.job;
  clients_.erase(it);
  auto j = jobs_.find(job_id);
  if (j == jobs_.end()) return;
  j->second.client = 0;
  // What its connection still held will never be written: credited, so that the job's processes
  // can end (their exits follow their output).
  if (const auto unwritten = std::exchange(j->second.output_unwritten, 0); unwritten > 0)
    master_.send(wire::encode_message(wire::output_credit{job_id, unwritten}));
  if (j->second.at == stage::running) return end_orphan(job_id, false);
  // Not started on the master: nothing runs but perhaps the recce, which goes with the job.
  log_.info(job_name(job_id) + ": dropped before it started: its client left");
  forget(job_id);
}

void bridge_daemon::send_to_client(std::uint64_t id, std::string bytes) {
  if (auto it = clients_.find(id); it != clients_.end())
    it->second.connection->send(std::move(bytes));
}

void bridge_daemon::on_deploy_request(std::uint64_t id, wire::deploy_request request) {
  auto& c = clients_.at(id);
  if (c.job != 0) return protocol_error(id, "a second deploy_request on one connection");
  auto& program = request.program;
  if (!crypto::is_sha256_hex(program.binary_hash))
    return protocol_error(id, "deploy_request without a valid SHA-256 hash");
  if (program.argv.empty()) return protocol_error(id, "deploy_request without argv");
  const auto job_id = new_job_id();
  c.job = job_id;
  auto& j = jobs_[job_id];
  j.client = id;
  j.program = std::move(program);
  log_.info(job_name(job_id) + ": " + j.program.argv.front() + " for " + c.peer);
  if (j.program.binary_size == 0 || j.program.binary_size > wire::max_binary_size)
    return finish(job_id, "the binary has " + std::to_string(j.program.binary_size) +
                              " bytes; a deployed binary has 1 to " +
                              std::to_string(wire::max_binary_size) + " bytes");
  if (cache_.contains(j.program.binary_hash, j.program.binary_size)) return run_recce(job_id);
  j.at = stage::awaiting_binary;
  send_to_client(id, wire::encode_message(wire::need_binary{j.program.binary_hash}));
}

void bridge_daemon::on_upload(std::uint64_t id, wire::binary_upload upload) {
  const auto job_id = clients_.at(id).job;
  auto j = jobs_.find(job_id);
  if (j == jobs_.end() || j->second.at != stage::awaiting_binary ||
      upload.binary_hash != j->second.program.binary_hash)
    return protocol_error(id, "a binary_upload the bridge did not ask for");
  if (upload.bytes.size() != j->second.program.binary_size)
    return finish(job_id, "the uploaded binary has " + std::to_string(upload.bytes.size()) +
                              " bytes, not the " + std::to_string(j->second.program.binary_size) +
                              " announced");
  if (auto stored = cache_.store(upload.binary_hash, upload.bytes); !stored)
    return finish(job_id, "the bridge cannot take the binary: " + stored.error());
  log_.debug(job_name(job_id) + ": binary " + upload.binary_hash + " stored");
  pruner_.stored(upload.binary_hash);
  run_recce(job_id);
}

void bridge_daemon::on_job_message(std::uint64_t id, std::uint8_t type, std::string_view payload) {
  const auto job_id = clients_.at(id).job;
  if (job_id == 0) return protocol_error(id, "a job message before deploy_request");
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return;  // the job ended; the client had not heard yet
  auto& j = it->second;
  std::string message;
  switch (static_cast<wire::cluster_type>(type)) {
    case wire::cluster_type::stdin_data: {
      auto data = wire::decode_message<wire::stdin_data>(payload);
      if (!data) return protocol_error(id, "malformed stdin_data");
      j.stdin_in_flight += data->bytes.size();
      if (j.stdin_in_flight > wire::stdin_window)
        return protocol_error(id, "stdin beyond its window of " + format_bytes(wire::stdin_window));
      message = wire::encode_message(wire::stdin_data{job_id, std::move(data->bytes)});
      break;
    }
    case wire::cluster_type::stdin_eof:
      if (!wire::decode_message<wire::stdin_eof>(payload))
        return protocol_error(id, "malformed stdin_eof");
      message = wire::encode_message(wire::stdin_eof{job_id});
      break;
    default: {
      auto end = wire::decode_message<wire::end_job>(payload);
      if (!end) return protocol_error(id, "malformed end_job");
      if (j.at != stage::running) return finish(job_id, "the job was ended before it started");
      log_.info(job_name(job_id) + ": ended by its client" + (end->immediately ? ", at once" : ""));
      message = wire::encode_message(wire::end_job{job_id, end->immediately, end->signal});
      break;
    }
  }
  if (j.at == stage::running) return master_.send(std::move(message));
  j.held.push_back(std::move(message));
}

void bridge_daemon::on_query(std::uint64_t id, std::string message) {
  if (master_.connected()) {
    queries_at_master_.push_back(id);
    return master_.send(std::move(message));
  }
  queries_without_master_.emplace_back(id, std::move(message));
  if (!queries_timer_)
    queries_timer_ = arm(settings_.master_wait, [this] {
      queries_timer_.reset();
      const auto problem = "the bridge " + master_.last_problem();
      for (auto& waiting : std::exchange(queries_without_master_, {}))
        send_to_client(waiting.first, wire::encode_message(wire::job_finished{0, problem}));
    });
}

// ---- jobs ---------------------------------------------------------------------------------------

void bridge_daemon::run_recce(std::uint64_t job_id) {
  auto& j = jobs_.at(job_id);
  j.at = stage::recce;
  j.recce = start_recce(io_, cache_.path_of(j.program.binary_hash), j.program.argv, j.program.env,
                        [this, job_id](std::expected<resources, std::string> outcome) {
                          on_recce(job_id, std::move(outcome));
                        });
}

void bridge_daemon::on_recce(std::uint64_t job_id, std::expected<resources, std::string> outcome) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end() || it->second.at != stage::recce) return;
  auto& j = it->second;
  j.recce.reset();
  if (!outcome) return finish(job_id, outcome.error());
  j.needs = *outcome;
  j.at = stage::waiting_for_master;
  log_.debug(job_name(job_id) + ": the top process needs " + to_string(j.needs));
  if (master_.connected()) return start_on_master(job_id);
  j.timer = arm(settings_.master_wait,
                [this, job_id] { finish(job_id, "the bridge " + master_.last_problem()); });
}

void bridge_daemon::start_on_master(std::uint64_t job_id) {
  auto& j = jobs_.at(job_id);
  j.at = stage::running;
  j.timer.reset();
  const auto c = clients_.find(j.client);
  master_.send(wire::encode_message(wire::job_start{
      job_id, j.program, j.needs, c != clients_.end() ? c->second.peer : std::string()}));
  for (auto& message : std::exchange(j.held, {})) master_.send(std::move(message));
  // Only the hash is needed from now on (for the master's need_binary); the rest can go.
  j.program.env.clear();
  j.program.env.shrink_to_fit();
}

// The client of a running job left: its processes get SIGHUP, as when a terminal goes away, then
// SIGKILL; then the job is forgotten.
void bridge_daemon::end_orphan(std::uint64_t job_id, bool immediately) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return;
  log_.info(job_name(job_id) + ": its client left; ending it" + (immediately ? " at once" : ""));
  master_.send(wire::encode_message(wire::end_job{job_id, immediately, SIGHUP}));
  if (!immediately) {
    it->second.timer = arm(orphan_grace, [this, job_id] { end_orphan(job_id, true); });
  } else {
    it->second.timer = arm(orphan_forget, [this, job_id] {
      log_.warn(job_name(job_id) + ": no end from the master " +
                std::to_string(orphan_forget.count()) +
                " s after it was ended at once; forgetting it");
      forget(job_id);
    });
  }
}

std::optional<bridge_daemon::job> bridge_daemon::forget(std::uint64_t job_id) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return std::nullopt;
  auto j = std::move(it->second);
  jobs_.erase(it);
  if (j.recce) j.recce->cancel();
  if (j.timer) j.timer->cancel();
  return j;
}

void bridge_daemon::finish(std::uint64_t job_id, const std::string& problem) {
  auto j = forget(job_id);
  if (!j) return;
  if (problem.empty())
    log_.info(job_name(job_id) + ": finished");
  else
    log_.info(job_name(job_id) + ": failed: " + problem);
  if (j->client != 0)
    send_to_client(j->client, wire::encode_message(wire::job_finished{job_id, problem}));
}

std::shared_ptr<asio::steady_timer> bridge_daemon::arm(std::chrono::steady_clock::duration after,
                                                       std::function<void()> then) {
  auto timer = std::make_shared<asio::steady_timer>(io_, after);
  timer->async_wait([then = std::move(then)](const boost::system::error_code& ec) {
    if (!ec) then();
  });
  return timer;
}

// ---- the master ---------------------------------------------------------------------------------

void bridge_daemon::on_master_connected() {
  std::vector<std::uint64_t> waiting;
  for (const auto& [job_id, j] : jobs_)
    if (j.at == stage::waiting_for_master) waiting.push_back(job_id);
  for (auto job_id : waiting) start_on_master(job_id);
  if (queries_timer_) queries_timer_->cancel();
  queries_timer_.reset();
  for (auto& [id, message] : std::exchange(queries_without_master_, {}))
    on_query(id, std::move(message));
}

void bridge_daemon::on_master_message(std::uint8_t type, std::string_view payload) {
  switch (static_cast<wire::cluster_type>(type)) {
    case wire::cluster_type::job_event:
      return on_job_event(type, payload);
    case wire::cluster_type::stdin_credit:
      if (auto credit = wire::decode_message<wire::stdin_credit>(payload))
        return on_stdin_credit(*credit);
      return master_.reset("it sent a malformed stdin_credit");
    case wire::cluster_type::need_binary:
      if (auto need = wire::decode_message<wire::need_binary>(payload))
        return on_need_binary(need->binary_hash);
      return master_.reset("it sent a malformed need_binary");
    case wire::cluster_type::job_finished:
      if (auto finished = wire::decode_message<wire::job_finished>(payload))
        return finish(finished->job, finished->problem);
      return master_.reset("it sent a malformed job_finished");
    case wire::cluster_type::status_reply:
    case wire::cluster_type::jobs_reply:
    case wire::cluster_type::kill_job_reply: {
      if (queries_at_master_.empty())
        return master_.reset("it sent an answer (type " + std::to_string(type) + ") to no query");
      const auto id = queries_at_master_.front();
      queries_at_master_.pop_front();
      return send_to_client(id, reframed(type, payload));
    }
    default:
      return master_.reset("it sent a message of unexpected type " + std::to_string(type));
  }
}

void bridge_daemon::on_job_event(std::uint8_t type, std::string_view payload) {
  auto event = wire::decode_message<wire::job_event>(payload);
  if (!event) return master_.reset("it sent a malformed job_event");
  const auto job_id = detail::pid_access::job(event_process(event->event));
  const auto* output = std::get_if<report::output_event>(&event->event);
  const std::uint64_t output_bytes = output ? output->data.size() : 0;
  auto it = jobs_.find(job_id);
  const auto watcher = it == jobs_.end() ? clients_.end() : clients_.find(it->second.client);
  if (watcher == clients_.end()) {
    // Ended, or nobody is watching any more: dropped, and credited at once, so that the job's
    // processes are not held up by a client that is gone.
    if (output_bytes > 0)
      master_.send(wire::encode_message(wire::output_credit{job_id, output_bytes}));
    return;
  }
  // Passed on as it came: the client decodes it once, the bridge need not encode it again. Its
  // data is credited once written to the client's socket: a client that does not read holds up
  // its own job's output, and only its own.
  agent::frame_connection::written_handler written;
  if (output_bytes > 0) {
    it->second.output_unwritten += output_bytes;
    written = [this, job_id, output_bytes] {
      if (auto j = jobs_.find(job_id); j != jobs_.end()) j->second.output_unwritten -= output_bytes;
      master_.send(wire::encode_message(wire::output_credit{job_id, output_bytes}));
    };
  }
  watcher->second.connection->send(reframed(type, payload), std::move(written));
}

void bridge_daemon::on_stdin_credit(const wire::stdin_credit& credit) {
  auto it = jobs_.find(credit.job);
  if (it == jobs_.end()) return;
  auto& j = it->second;
  j.stdin_in_flight -= std::min(j.stdin_in_flight, credit.bytes);
  if (j.client != 0)
    send_to_client(j.client, wire::encode_message(wire::stdin_credit{credit.job, credit.bytes}));
}

void bridge_daemon::on_need_binary(const std::string& hash) {
  auto bytes = cache_.load(hash);
  if (bytes)
    return master_.send(wire::encode_message(wire::binary_upload{hash, std::move(*bytes)}));
  log_.warn("the master asked for binary " + hash +
            ", which the bridge cannot give: " + bytes.error());
  std::vector<std::uint64_t> affected;
  for (const auto& [job_id, j] : jobs_)
    if (j.program.binary_hash == hash) affected.push_back(job_id);
  for (auto job_id : affected) {
    master_.send(wire::encode_message(wire::end_job{job_id, true}));
    finish(job_id, "the bridge lost the program's binary: " + bytes.error());
  }
}

void bridge_daemon::on_master_lost(const std::string& why) {
  std::vector<std::uint64_t> running;
  for (const auto& [job_id, j] : jobs_)
    if (j.at == stage::running) running.push_back(job_id);
  for (auto job_id : running)
    finish(job_id, "the bridge " + why + "; what became of the job's processes is unknown");
  fail_queries("the bridge " + why);
}

void bridge_daemon::fail_queries(const std::string& problem) {
  for (auto id : std::exchange(queries_at_master_, {}))
    send_to_client(id, wire::encode_message(wire::job_finished{0, problem}));
}

std::set<std::string> bridge_daemon::binaries_in_use() const {
  std::set<std::string> in_use;
  for (const auto& [job_id, j] : jobs_) in_use.insert(j.program.binary_hash);
  return in_use;
}

std::uint64_t bridge_daemon::new_job_id() const {
  std::uint64_t id = 0;
  while (id == 0 || jobs_.contains(id)) {
    const auto bytes = crypto::random_bytes(sizeof id);
    std::memcpy(&id, bytes.data(), sizeof id);
  }
  return id;
}

std::string bridge_daemon::job_name(std::uint64_t job_id) const {
  char text[32];
  std::snprintf(text, sizeof text, "job %016llx", static_cast<unsigned long long>(job_id));
  return text;
}

}  // namespace constellation::bridge
