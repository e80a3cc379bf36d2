#pragma once
// constellation-bridge: the daemon between the people who deploy programs and the cluster's master.
//
// For each deploy client (purpose "deploy") it gets the program's binary into its cache (asking
// the client for it only when missing), runs the program's recce to learn what the top process
// needs, and starts the job on the master over its one link (master_link.hpp). Then it relays:
// the job's events and its end to the client, the client's stdin and Ctrl-C to the master. A
// client that leaves before its job ended gets its job ended for it (gently, then at once).
//
// Jobs are named by the bridge: a random non-zero 64-bit id, the job of every pid of the job, by
// which the master's events are routed. A client has at most one job, its connection's, so the
// bridge ignores the job field of what a client sends and fills in its own.
//
// Queries (status, the list of jobs, ending a job by its id) go to the master as they came, and
// its answers come back in the same order. A query the bridge cannot pass on (no master) is
// answered with job_finished{0, why}, which constellation-deploy shows as an error.
//
// Stdin and output flow under the windows of wire/cluster_messages.hpp ("Flow control"): the bridge
// passes stdin_credit from the master to the client, and credits the master with each output
// event's data once written to the client's socket, so that what it holds for a client that does
// not read is at most output_window per node running the job. A client that sends stdin beyond
// its window (stdin_window) is a protocol error; so stdin held before the job started is bounded
// too.
//
// Peers' mistakes (a failed handshake, garbage, an oversized or unexpected frame) cost only that
// connection: one line in the log, naming the peer, and the daemon goes on.

#include "master_link.hpp"
#include "recce_process.hpp"

#include "agent/connection_end.hpp"
#include "cluster/accept_pause.hpp"
#include "cluster/binary_cache.hpp"
#include "cluster/cache_bounds.hpp"
#include "cluster/cache_pruner.hpp"
#include "cluster/endpoint.hpp"
#include "cluster/log.hpp"
#include "cluster/repeat_limiter.hpp"
#include "wire/cluster_messages.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <deque>
#include <expected>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace constellation::bridge {

// How long a job or a query waits for a link to the master before it fails.
inline constexpr auto default_master_wait = std::chrono::seconds(10);
// After a client left, how long its job gets to end before it is ended at once.
inline constexpr auto orphan_grace = std::chrono::seconds(3);

struct bridge_settings {
  cluster::endpoint listen;  // port 0: any free port (see local_endpoint)
  cluster::endpoint master;
  std::string secret;
  std::chrono::milliseconds master_wait = default_master_wait;
  // What the cache may hold; the binaries of the jobs the bridge knows are kept whatever it holds.
  cluster::cache_bounds cache_bounds;
};

class bridge_daemon {
 public:
  // log must outlive the daemon.
  bridge_daemon(boost::asio::io_context& io, bridge_settings settings, cluster::binary_cache cache,
                const cluster::daemon_log& log);
  // Kills the recces still running: nobody would reap them, or stop one that hangs.
  ~bridge_daemon();
  bridge_daemon(const bridge_daemon&) = delete;
  bridge_daemon& operator=(const bridge_daemon&) = delete;

  // Binds the listening address and starts accepting clients and connecting to the master. The
  // error says why the address cannot be used.
  std::expected<void, std::string> start();
  // Where it listens, once started.
  boost::asio::ip::tcp::endpoint local_endpoint() const;

 private:
  enum class stage { awaiting_binary, recce, waiting_for_master, running };

  struct client {
    std::shared_ptr<agent::frame_connection> connection;
    std::string peer;
    std::uint64_t job = 0;  // its job, once it asked for one (the job may have ended since)
  };

  struct job {
    std::uint64_t client = 0;  // 0 once the client left
    wire::program_description program;
    stage at = stage::awaiting_binary;
    resources needs;
    std::shared_ptr<recce_process> recce;
    std::vector<std::string> held;       // the client's messages for the master, before job_start
    std::uint64_t stdin_in_flight = 0;   // stdin from the client the node has not credited yet
    std::uint64_t output_unwritten = 0;  // output queued for the client, not yet credited
    std::shared_ptr<boost::asio::steady_timer>
        timer;  // the wait for the master, or the orphan's end
  };

  void accept_next();
  void on_client_frame(std::uint64_t id, std::uint8_t type, std::string_view payload);
  void on_client_closed(std::uint64_t id, const agent::connection_end& end);
  void protocol_error(std::uint64_t id, const std::string& why);
  void client_gone(std::uint64_t id);
  void send_to_client(std::uint64_t id, std::string bytes);

  void on_deploy_request(std::uint64_t id, wire::deploy_request request);
  void on_upload(std::uint64_t id, wire::binary_upload upload);
  void on_job_message(std::uint64_t id, std::uint8_t type, std::string_view payload);
  // A query from client id, passed to the master as the frame `message`.
  void on_query(std::uint64_t id, std::string message);

  void run_recce(std::uint64_t job_id);
  void on_recce(std::uint64_t job_id, std::expected<resources, std::string> outcome);
  void start_on_master(std::uint64_t job_id);
  void end_orphan(std::uint64_t job_id, bool immediately);
  // Tells the client, if still there, how the job ended, and forgets the job.
  void finish(std::uint64_t job_id, const std::string& problem);
  // Forgets the job, stopping its recce and timer, and telling nobody.
  std::optional<job> forget(std::uint64_t job_id);
  std::shared_ptr<boost::asio::steady_timer> arm(std::chrono::steady_clock::duration after,
                                                 std::function<void()> then);

  void on_master_connected();
  void on_master_message(std::uint8_t type, std::string_view payload);
  void on_master_lost(const std::string& why);
  void on_job_event(std::uint8_t type, std::string_view payload);
  void on_stdin_credit(const wire::stdin_credit& credit);
  void on_need_binary(const std::string& hash);
  void fail_queries(const std::string& problem);

  // The binaries of the jobs not yet finished: their client may be uploading one, and the master
  // may ask for one (need_binary) until the job ends.
  std::set<std::string> binaries_in_use() const;

  std::uint64_t new_job_id() const;
  std::string job_name(std::uint64_t job_id) const;

  boost::asio::io_context& io_;
  bridge_settings settings_;
  cluster::binary_cache cache_;
  const cluster::daemon_log& log_;
  cluster::cache_pruner pruner_;
  boost::asio::ip::tcp::acceptor acceptor_;
  cluster::accept_pause accept_pause_;
  master_link master_;
  // Failed handshakes, logged once a minute per peer host with a count (a client retrying with the
  // wrong secret, a scanner).
  cluster::repeat_limiter refusals_{std::chrono::seconds(60)};
  std::map<std::uint64_t, client> clients_;  // by connection number
  std::map<std::uint64_t, job> jobs_;        // by job id
  std::uint64_t next_client_ = 1;
  std::deque<std::uint64_t> queries_at_master_;  // clients whose query the master has, in order
  // Clients and their queries, waiting for the master to come up.
  std::vector<std::pair<std::uint64_t, std::string>> queries_without_master_;
  std::shared_ptr<boost::asio::steady_timer> queries_timer_;
};

}  // namespace constellation::bridge
