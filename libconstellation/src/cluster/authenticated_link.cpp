#include "cluster/authenticated_link.hpp"

#include "agent/tcp_tuning.hpp"
#include "wire/handshake.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <list>
#include <mutex>
#include <optional>

namespace constellation::cluster {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// A peer that does not finish the handshake in this time is dropped: an idle or slow connection
// must not hold a daemon's resources.
constexpr auto handshake_timeout = std::chrono::seconds(10);

// Accepted connections that have not proved the secret yet are held up to this many per process,
// the oldest closed to make room for a new one: a flood of silent connections then costs a bounded
// amount of memory and descriptors, while a peer of the cluster, which answers within a round
// trip, is all but never the oldest.
constexpr std::size_t max_unauthenticated = 128;

class handshaker;

// The accepted connections still in their handshake, oldest first. A mutex, since tests run
// daemons' code on several threads; each daemon itself has one.
struct waiting_room {
  std::mutex mutex;
  std::list<handshaker*> waiting;
};

waiting_room& unauthenticated() {
  static waiting_room room;
  return room;
}

class handshaker : public std::enable_shared_from_this<handshaker> {
 public:
  handshaker(tcp::socket socket, const link_credentials& c, ready_handler on_ready,
             failure_handler on_failed)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        on_failed_(std::move(on_failed)) {
    client_.emplace(c.secret, c.purpose, c.identity);
    on_ready_ = [on_ready = std::move(on_ready)](auto connection, std::string identity, std::string,
                                                 std::string rest) {
      on_ready(std::move(connection), std::move(identity), std::move(rest));
    };
  }
  handshaker(tcp::socket socket, const std::string& secret,
             const std::vector<std::string>& purposes, const std::string& identity,
             any_ready_handler on_ready, failure_handler on_failed)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        on_ready_(std::move(on_ready)),
        on_failed_(std::move(on_failed)) {
    server_.emplace(secret, purposes, identity);
  }

  ~handshaker() { leave_waiting_room(); }

  // Server side: counts it among the connections in their handshake, and closes the oldest when
  // there are too many.
  void enter_waiting_room() {
    std::shared_ptr<handshaker> evicted;
    {
      auto& room = unauthenticated();
      std::lock_guard lock(room.mutex);
      while (room.waiting.size() >= max_unauthenticated && !evicted) {
        handshaker* oldest = room.waiting.front();
        room.waiting.pop_front();
        oldest->listed_ = false;
        evicted = oldest->weak_from_this().lock();  // null when it is being destroyed
      }
      listed_at_ = room.waiting.insert(room.waiting.end(), this);
      listed_ = true;
    }
    if (evicted)
      asio::post(evicted->socket_.get_executor(), [evicted] {
        evicted->fail({link_failure::cause::crowded_out,
                       "more than " + std::to_string(max_unauthenticated) +
                           " connections were waiting to authenticate, and it was the oldest"});
      });
  }

  void run() {
    agent::tune_tcp(socket_);
    timer_.expires_after(handshake_timeout);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec)
        self->fail({link_failure::cause::timed_out,
                    "not done within " + std::to_string(handshake_timeout.count()) + " s"});
    });
    if (client_) send(client_->start());
    read();
  }

 private:
  void send(std::string bytes) {
    auto data = std::make_shared<std::string>(std::move(bytes));
    asio::async_write(
        socket_, asio::buffer(*data),
        [self = shared_from_this(), data](const boost::system::error_code& ec, std::size_t) {
          if (ec) self->fail({link_failure::cause::lost, ec.message()});
        });
  }

  void read() {
    socket_.async_read_some(
        asio::buffer(chunk_),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
          if (self->finished_) return;
          if (ec)
            return self->fail(ec == asio::error::eof
                                  ? link_failure{link_failure::cause::closed_by_peer}
                                  : link_failure{link_failure::cause::lost, ec.message()});
          self->received_.append(self->chunk_.data(), n);
          auto step = self->client_ ? self->client_->feed(self->received_)
                                    : self->server_->feed(self->received_);
          if (!step) return self->fail(refused_handshake(step.error()));
          if (!step->to_send.empty()) self->send(std::move(step->to_send));
          self->received_.erase(0, step->consumed);
          const bool done = self->client_ ? self->client_->done() : self->server_->done();
          if (!done) return self->read();
          self->finished_ = true;
          self->timer_.cancel();
          self->leave_waiting_room();
          const std::string identity =
              self->client_ ? self->client_->peer_identity() : self->server_->peer_identity();
          auto connection = std::make_shared<agent::frame_connection>(
              agent::frame_connection::socket_type(std::move(self->socket_)));
          const std::string purpose = self->server_ ? self->server_->purpose() : std::string{};
          self->on_ready_(connection, identity, purpose, std::move(self->received_));
        });
  }

  void leave_waiting_room() {
    auto& room = unauthenticated();
    std::lock_guard lock(room.mutex);
    if (!listed_) return;
    room.waiting.erase(listed_at_);
    listed_ = false;
  }

  void fail(const link_failure& failure) {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    leave_waiting_room();
    boost::system::error_code ignored;
    socket_.close(ignored);
    on_failed_(failure);
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  any_ready_handler on_ready_;
  failure_handler on_failed_;
  std::optional<wire::handshake_client> client_;
  std::optional<wire::handshake_server> server_;
  // A handshake's messages are small; what comes after it in the same read is handed on.
  std::array<char, 2 * 1024> chunk_{};
  std::string received_;
  bool finished_ = false;
  bool listed_ = false;
  std::list<handshaker*>::iterator listed_at_;
};

}  // namespace

void accept_link(tcp::socket socket, const link_credentials& credentials, ready_handler on_ready,
                 failure_handler on_failed) {
  accept_link_any(
      std::move(socket), credentials.secret, {credentials.purpose}, credentials.identity,
      [on_ready = std::move(on_ready)](auto connection, std::string identity, std::string,
                                       std::string rest) {
        on_ready(std::move(connection), std::move(identity), std::move(rest));
      },
      std::move(on_failed));
}

void accept_link_any(tcp::socket socket, const std::string& secret,
                     const std::vector<std::string>& purposes, const std::string& identity,
                     any_ready_handler on_ready, failure_handler on_failed) {
  auto h = std::make_shared<handshaker>(std::move(socket), secret, purposes, identity,
                                        std::move(on_ready), std::move(on_failed));
  h->enter_waiting_room();
  h->run();
}

void open_link(asio::io_context& io, const tcp::endpoint& to, const link_credentials& credentials,
               ready_handler on_ready, failure_handler on_failed) {
  auto socket = std::make_shared<tcp::socket>(io);
  socket->async_connect(
      to, [socket, credentials, on_ready = std::move(on_ready),
           on_failed = std::move(on_failed)](const boost::system::error_code& ec) mutable {
        if (ec) return on_failed({link_failure::cause::cannot_connect, ec.message()});
        std::make_shared<handshaker>(std::move(*socket), credentials, std::move(on_ready),
                                     std::move(on_failed))
            ->run();
      });
}

std::string peer_text(const tcp::socket& socket) {
  boost::system::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "an unknown peer";
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

std::string peer_host(const tcp::socket& socket) {
  boost::system::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "an unknown peer";
  return endpoint.address().to_string();
}

}  // namespace constellation::cluster
