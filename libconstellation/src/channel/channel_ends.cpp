// The untyped channel ends: blocking, timed and async operations over a peer's state.

#include <constellation/detail/channel_ends.hpp>

#include "channel/transport.hpp"
#include "wire/frame.hpp"

namespace constellation::detail {

using channel::link_phase;
using channel::transport;

namespace {

[[noreturn]] void throw_gone(const peer_state& peer) {
  throw channel_error(peer.gone_reason, peer.gone_message);
}

// With the lock held: takes the next message and accounts for it in the window.
received_message take(peer_state& peer) {
  auto message = std::move(peer.inbox.front());
  peer.inbox.pop_front();
  transport::get("constellation::receiver")
      .consumed(peer, static_cast<std::int64_t>(message.bytes.size() - message.offset + 8));
  return message;
}

void check_size(std::size_t message_size) {
  if (message_size - wire::frame_header_size > wire::default_max_payload)
    throw channel_error(channel_errc::too_large,
                        "constellation::sender: a message of " + std::to_string(message_size) +
                            " bytes exceeds the limit of " +
                            std::to_string(wire::default_max_payload) + " bytes; send it in parts");
}

}  // namespace

// ---- sending_end ----

sending_end::sending_end(pid remote)
    : peer_(transport::get("constellation::sender").open(remote, true)) {}

sending_end::~sending_end() {
  if (peer_) transport::get("constellation::sender").close(*peer_, true);
}

sending_end& sending_end::operator=(sending_end&& other) noexcept {
  if (this != &other) {
    if (peer_) transport::get("constellation::sender").close(*peer_, true);
    peer_ = std::move(other.peer_);
  }
  return *this;
}

pid sending_end::remote() const {
  return peer_ ? peer_->remote : pid{};
}

void sending_end::send(const type_tag& type, outgoing_message message) {
  if (!peer_) throw std::logic_error("constellation::sender::send() on a moved-from sender");
  check_size(message.size());
  auto& t = transport::get("constellation::sender");
  const auto cost = channel::window_cost(message.size());
  const bool in_place = !message.borrowed.empty();
  std::unique_lock lock(peer_->mutex);
  bool waited_for_room = false;
  while (true) {
    if (peer_->phase == link_phase::gone) throw_gone(*peer_);
    // A message written in place waits for the socket's writing side, so that it follows every
    // frame queued before it.
    if (peer_->phase == link_phase::up && peer_->pending_sends.empty() &&
        channel::window_allows(*peer_, cost) && !(in_place && peer_->writing)) {
      if (in_place || waited_for_room || !t.wait_for_ring_room(*peer_, lock, message.size())) break;
      waited_for_room = true;
      continue;
    }
    t.want_link(*peer_);
    peer_->changed.wait(lock);
  }
  if (!in_place) return t.send_message(*peer_, type, std::move(message.bytes));
  if (!t.send_in_place(*peer_, lock, type, message)) {
    if (peer_->phase == link_phase::gone) throw_gone(*peer_);
    throw channel_error(
        channel_errc::died,
        peer_->remote.to_string() + " has died (its connection was lost during a send)");
  }
}

void sending_end::async_send(const type_tag& type, std::string message,
                             std::move_only_function<void(boost::system::error_code)> done) {
  if (!peer_) throw std::logic_error("constellation::sender::async_send() on a moved-from sender");
  if (message.size() - wire::frame_header_size > wire::default_max_payload)
    return done(make_error_code(channel_errc::too_large));
  auto& t = transport::get("constellation::sender");
  std::unique_lock lock(peer_->mutex);
  if (peer_->phase == link_phase::gone) {
    const auto ec = make_error_code(peer_->gone_reason);
    lock.unlock();
    return done(ec);
  }
  peer_->pending_sends.push_back({type, std::move(message), std::move(done)});
  t.want_link(*peer_);
  auto completions = t.admit_pending_sends(*peer_);
  lock.unlock();
  for (auto& c : completions) c();
}

// ---- receiving_end ----

receiving_end::receiving_end(pid remote)
    : peer_(transport::get("constellation::receiver").open(remote, false)) {}

receiving_end::~receiving_end() {
  if (peer_) transport::get("constellation::receiver").close(*peer_, false);
}

receiving_end& receiving_end::operator=(receiving_end&& other) noexcept {
  if (this != &other) {
    if (peer_) transport::get("constellation::receiver").close(*peer_, false);
    peer_ = std::move(other.peer_);
  }
  return *this;
}

pid receiving_end::remote() const {
  return peer_ ? peer_->remote : pid{};
}

received_message receiving_end::recv() {
  return *recv_for(std::chrono::nanoseconds::max());
}

std::optional<received_message> receiving_end::try_recv() {
  return recv_for(std::chrono::nanoseconds::zero());
}

std::optional<received_message> receiving_end::recv_for(std::chrono::nanoseconds timeout) {
  if (!peer_) throw std::logic_error("constellation::receiver: use of a moved-from receiver");
  auto& t = transport::get("constellation::receiver");
  const bool forever = timeout == std::chrono::nanoseconds::max();
  const auto deadline = forever ? std::chrono::steady_clock::time_point::max()
                                : std::chrono::steady_clock::now() + timeout;
  if (timeout == std::chrono::nanoseconds::zero()) {
    // try_recv: read what the link holds now, without waiting.
    std::unique_lock lock(peer_->mutex);
    if (peer_->inbox.empty() && peer_->phase == link_phase::up)
      t.wait_for_peer(*peer_, lock, deadline);
    if (!peer_->inbox.empty()) return take(*peer_);
    if (peer_->phase == link_phase::gone) throw_gone(*peer_);
    t.want_link(*peer_);
    return std::nullopt;
  }
  std::unique_lock lock(peer_->mutex);
  while (true) {
    if (!peer_->inbox.empty()) return take(*peer_);
    if (peer_->phase == link_phase::gone) throw_gone(*peer_);
    t.want_link(*peer_);
    if (!forever && std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    t.wait_for_peer(*peer_, lock, deadline);
  }
}

void receiving_end::async_recv(
    std::move_only_function<void(boost::system::error_code, received_message)> done) {
  if (!peer_) throw std::logic_error("constellation::receiver: use of a moved-from receiver");
  auto& t = transport::get("constellation::receiver");
  std::unique_lock lock(peer_->mutex);
  if (!peer_->inbox.empty() && peer_->pending_recvs.empty()) {
    auto message = take(*peer_);
    lock.unlock();
    return done({}, std::move(message));
  }
  if (peer_->phase == link_phase::gone) {
    const auto ec = make_error_code(peer_->gone_reason);
    lock.unlock();
    return done(ec, {});
  }
  peer_->pending_recvs.push_back(std::move(done));
  t.want_link(*peer_);
}

void receiving_end::check_type(const received_message& message, const type_tag& type) const {
  if (message.type_hash == type.hash) return;
  std::string theirs = "an unknown type";
  {
    std::lock_guard lock(peer_->mutex);
    if (auto it = peer_->type_names.find(message.type_hash); it != peer_->type_names.end())
      theirs = it->second;
  }
  throw channel_error(channel_errc::type_mismatch,
                      "constellation::receiver<" + std::string(type.name) + "> from " +
                          peer_->remote.to_string() + " received a message of type " + theirs +
                          ": the sender and the receiver must use the same type");
}

// ---- select ----

std::size_t select_ready(std::span<receiving_end* const> ends, received_message& out) {
  if (ends.empty()) throw std::logic_error("constellation::select() needs at least one receiver");
  auto& t = transport::get("constellation::select");
  channel::select_waiter waiter;
  for (auto* end : ends) {
    if (!end->peer_) throw std::logic_error("constellation::select() on a moved-from receiver");
    std::lock_guard lock(end->peer_->mutex);
    end->peer_->selectors.push_back(&waiter);
    t.want_link(*end->peer_);
  }
  auto unregister = [&] {
    for (auto* end : ends) {
      std::lock_guard lock(end->peer_->mutex);
      std::erase(end->peer_->selectors, &waiter);
    }
  };
  std::vector<peer_state*> peers;
  for (auto* end : ends) peers.push_back(end->peer_.get());
  // Fairness: start after the end chosen last time.
  static thread_local std::size_t rotation = 0;
  while (true) {
    {
      std::lock_guard lock(waiter.mutex);
      waiter.signalled = false;
    }
    // A message anywhere wins over a remote that is gone: report an end only once nothing else
    // can be returned.
    for (std::size_t k = 0; k < ends.size(); ++k) {
      const std::size_t i = (rotation + k) % ends.size();
      auto& peer = *ends[i]->peer_;
      std::unique_lock lock(peer.mutex);
      if (!peer.inbox.empty()) {
        out = take(peer);
        lock.unlock();
        rotation = i + 1;
        unregister();
        return i;
      }
    }
    for (auto* end : ends) {
      auto& peer = *end->peer_;
      std::unique_lock lock(peer.mutex);
      if (peer.phase == link_phase::gone && peer.inbox.empty()) {
        auto error = channel_error(peer.gone_reason, peer.gone_message);
        lock.unlock();
        unregister();
        throw error;
      }
    }
    t.wait_for_any(peers, waiter);
  }
}

}  // namespace constellation::detail
