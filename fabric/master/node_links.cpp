#include "master/node_links.hpp"

#include "cluster/authenticated_link.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <utility>

namespace constellation::fabric {

namespace asio = boost::asio;

namespace {

constexpr auto reconnect_interval = std::chrono::seconds(1);

// A node that keeps refusing (another secret, another master) is retried every second; saying so
// once a minute is enough to lead to the cause.
constexpr auto refusal_log_interval = std::chrono::seconds(60);

}  // namespace

node_links::node_links(asio::io_context& io, const cluster_config& config, std::string secret,
                       const cluster::daemon_log& log, handlers on)
    : io_(io),
      secret_(std::move(secret)),
      log_(log),
      on_(std::move(on)),
      refusals_(refusal_log_interval) {
  for (const auto& n : config.nodes)
    links_.push_back(link{n, nullptr, std::make_unique<asio::steady_timer>(io), {}});
}

void node_links::start() {
  for (std::size_t i = 0; i < links_.size(); ++i) connect(i);
}

void node_links::send(std::size_t node, std::string frame) {
  const auto& c = links_[node].connection;
  if (c && c->open()) c->send(std::move(frame));
}

bool node_links::has_binary(std::size_t node, const std::string& hash) const {
  return links_[node].binaries.contains(hash);
}

void node_links::sent_binary(std::size_t node, const std::string& hash) {
  links_[node].binaries.insert(hash);
}

void node_links::forget_binary(std::size_t node, const std::string& hash) {
  links_[node].binaries.erase(hash);
}

void node_links::connect(std::size_t index) {
  auto& n = links_[index];
  asio::ip::tcp::endpoint to(asio::ip::address_v4(n.config.fabric.ipv4), n.config.fabric.port);
  cluster::open_link(
      io_, to, {secret_, wire::purpose::fabric, identity()},
      [this, index](connection_ptr c, std::string, std::string rest) {
        // Not up yet: the node says first whether it takes this master.
        c->start(
            [this, index, weak = std::weak_ptr(c)](std::uint8_t type, std::string_view payload) {
              on_frame(index, weak.lock(), type, payload);
            },
            [this, index, weak = std::weak_ptr(c)](const agent::connection_end& end) {
              if (links_[index].connection == weak.lock()) return lose(index, end.text);
              log_.debug("node " + links_[index].config.fabric.text +
                         " closed the link before taking it: " + end.text);
              retry(index);
            },
            std::move(rest));
        pending_[index] = c;
      },
      [this, index](const cluster::link_failure& failure) {
        const auto& address = links_[index].config.fabric.text;
        if (failure.why == cluster::link_failure::cause::refused) {
          const auto verdict =
              refusals_.occurred("auth " + address, std::chrono::steady_clock::now());
          if (verdict.log)
            log_.warn("cannot authenticate with node " + address + " (" + failure.text() +
                      "): it holds another cluster secret, or is not a constellation-fabric; give "
                      "every daemon the same --secret-file" +
                      cluster::repeat_limiter::note(verdict));
        } else {
          log_.debug("node " + address + " unreachable: " + failure.text());
        }
        retry(index);
      });
}

void node_links::on_frame(std::size_t index, const connection_ptr& from, std::uint8_t type,
                          std::string_view payload) {
  if (from && links_[index].connection != from) {
    // A link that is neither the node's nor awaiting its verdict is one given up: ignored.
    const auto awaiting = pending_.find(index);
    if (awaiting == pending_.end() || awaiting->second != from) return;
    // Before the verdict nothing else is taken from the node.
    if (type == static_cast<std::uint8_t>(wire::cluster_type::master_verdict))
      if (auto m = wire::decode_message<wire::master_verdict>(payload))
        return on_verdict(index, from, *m);
    log_.warn("node " + links_[index].config.fabric.text +
              " sent a message before taking this master: closing its link");
    pending_.erase(awaiting);
    from->close();
    return retry(index);
  }
  on_.frame(index, type, payload);
}

// The node's answer to this master, the first message on its link.
void node_links::on_verdict(std::size_t index, const connection_ptr& c,
                            const wire::master_verdict& verdict) {
  auto& node = links_[index];
  auto it = pending_.find(index);
  if (it == pending_.end() || it->second != c) return;
  pending_.erase(it);
  if (!verdict.accepted) {
    const auto logged =
        refusals_.occurred("refused " + node.config.fabric.text, std::chrono::steady_clock::now());
    if (logged.log)
      log_.warn("node " + node.config.fabric.text + " refused this master: " + verdict.problem +
                cluster::repeat_limiter::note(logged));
    c->close();
    return retry(index);
  }
  node.connection = c;
  node.binaries.clear();
  log_.info("node " + node.config.fabric.text + " is up");
  // The master runs its own entry's bridge; any other entry's bridge_bind is served by its node.
  const auto& bind = node.config.bridge;
  c->send(wire::encode_message(
      wire::bridge_order{index > 0 && bind ? bind->text : std::string(), identity()}));
  on_.up(index);
}

void node_links::malformed(std::size_t index) {
  log_.warn("node " + links_[index].config.fabric.text +
            " sent a malformed message: closing its link");
  if (links_[index].connection) links_[index].connection->close();
  lose(index, "malformed message");
}

// A node that died or was cut off is taken back when it answers again.
void node_links::lose(std::size_t index, const std::string& why) {
  auto& node = links_[index];
  node.connection.reset();
  log_.warn("lost node " + node.config.fabric.text + " (" + why + ")");
  on_.lost(index);
  retry(index);
}

void node_links::retry(std::size_t index) {
  auto& timer = *links_[index].retry;
  timer.expires_after(reconnect_interval);
  timer.async_wait([this, index](const boost::system::error_code& ec) {
    if (!ec) connect(index);
  });
}

}  // namespace constellation::fabric
