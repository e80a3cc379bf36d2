#include "http/http_server.hpp"

#include "cluster/accept_pause.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <list>

namespace constellation::fabric::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// One request and its response.
class connection : public std::enable_shared_from_this<connection> {
 public:
  connection(tcp::socket socket, const handler& serve, std::function<void(connection*)> done)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        serve_(serve),
        done_(std::move(done)) {}

  void start() {
    timer_.expires_after(request_time_limit);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      if (!self->responding_)
        return self->respond({408, "text/plain; charset=utf-8", "no request in time\n", {}}, false);
      self->close();  // a client that does not read its response
    });
    read();
  }

  // Whether it has not sent its whole request yet: such a connection may give its place to a new
  // one.
  bool waiting_for_request() const { return !responding_; }

  void close() {
    boost::system::error_code ignored;
    timer_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    if (auto done = std::exchange(done_, nullptr)) done(this);
  }

 private:
  void read() {
    socket_.async_read_some(
        asio::buffer(chunk_),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
          if (ec) return self->close();
          self->received_.append(self->chunk_.data(), n);
          self->on_bytes();
        });
  }

  void on_bytes() {
    auto parsed = parse_request(received_);
    if (std::holds_alternative<incomplete>(parsed)) return read();
    if (auto* problem = std::get_if<request_problem>(&parsed))
      return respond({problem->status, "text/plain; charset=utf-8", problem->why + "\n", {}},
                     false);
    const auto& r = std::get<request>(parsed);
    const bool head = r.method == "HEAD";
    if (r.method != "GET" && !head)
      return respond({405, "text/plain; charset=utf-8", "this endpoint is read-only: GET or HEAD\n",
                      "GET, HEAD"},
                     false);
    respond(serve_(r), head);
  }

  void respond(const response& r, bool head_only) {
    if (responding_) return;
    responding_ = true;
    outgoing_ = format_response(r, head_only);
    received_.clear();
    asio::async_write(socket_, asio::buffer(outgoing_),
                      [self = shared_from_this()](const boost::system::error_code&, std::size_t) {
                        self->close();
                      });
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  const handler& serve_;
  std::function<void(connection*)> done_;
  std::array<char, 2048> chunk_{};
  std::string received_, outgoing_;
  bool responding_ = false;
};

}  // namespace

struct server::state : std::enable_shared_from_this<server::state> {
  state(asio::io_context& io, handler h, const cluster::daemon_log& l, const std::string& what)
      : acceptor(io), serve(std::move(h)), log(l), pause(io.get_executor(), l, what) {}

  tcp::acceptor acceptor;
  handler serve;
  const cluster::daemon_log& log;
  cluster::accept_pause pause;
  // Oldest first: stop() closes them all, and a new connection takes the place of the oldest that
  // has not sent its request.
  std::list<std::shared_ptr<connection>> open;
  bool accepting = false;

  // The oldest connection that has not sent its request, or open.end().
  std::list<std::shared_ptr<connection>>::iterator oldest_waiting() {
    return std::find_if(open.begin(), open.end(),
                        [](const auto& c) { return c->waiting_for_request(); });
  }

  void accept_next() {
    if (accepting || !acceptor.is_open()) return;
    // Every place taken by a connection being answered: the next waits in the kernel's backlog
    // until one of them ends. Places taken by connections that have said nothing yet are not
    // kept from a newcomer, or a flood of silent connections would keep every scrape out.
    if (open.size() >= max_connections && oldest_waiting() == open.end()) return;
    accepting = true;
    acceptor.async_accept(
        [self = shared_from_this()](const boost::system::error_code& ec, tcp::socket socket) {
          self->accepting = false;
          if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) return;
          if (ec) return self->pause.failed(ec, [self] { self->accept_next(); });
          self->pause.succeeded();
          if (self->open.size() >= max_connections) {
            if (const auto oldest = self->oldest_waiting(); oldest != self->open.end()) {
              const auto evicted = *oldest;  // close() takes it out of open
              evicted->close();
            }
          }
          auto c = std::make_shared<connection>(
              std::move(socket), self->serve, [weak = std::weak_ptr(self)](connection* done) {
                auto s = weak.lock();
                if (!s) return;
                std::erase_if(s->open, [done](const auto& kept) { return kept.get() == done; });
                s->accept_next();  // a place is free again
              });
          self->open.push_back(c);
          c->start();
          self->accept_next();
        });
  }
};

std::expected<std::unique_ptr<server>, std::string> server::start(asio::io_context& io,
                                                                  const cluster::endpoint& at,
                                                                  handler serve,
                                                                  const cluster::daemon_log& log) {
  auto s = std::make_shared<state>(io, std::move(serve), log, "HTTP connections on " + at.text);
  boost::system::error_code ec;
  const auto endpoint = cluster::tcp_endpoint(at);
  s->acceptor.open(endpoint.protocol(), ec);
  if (!ec) s->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s->acceptor.bind(endpoint, ec);
  if (!ec) s->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return std::unexpected("cannot serve HTTP on " + at.text + ": " + ec.message());
  s->accept_next();
  return std::unique_ptr<server>(new server(std::move(s)));
}

server::~server() {
  stop();
}

void server::stop() {
  boost::system::error_code ignored;
  state_->acceptor.close(ignored);
  state_->pause.cancel();
  for (auto& c : std::list(state_->open)) c->close();
}

}  // namespace constellation::fabric::http
