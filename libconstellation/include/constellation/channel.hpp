#pragma once
// Typed channels between processes: sender<T> in one, receiver<T> in the other, named by pid.
//
// Threads. A sender or a receiver is used by one thread at a time, as an Asio socket is (move it
// to hand it to another thread). Different ends may be used from different threads at once, also
// ends to and from the same peer: they share that peer's one link, whose state is locked. A
// blocking call blocks only its caller; an async operation's handler is posted to its associated
// executor (Asio's system executor for a handler that has none), never run inside the call or on
// the transport thread. Messages of one sender arrive in the order its sends returned.

#include <constellation/channel_error.hpp>
#include <constellation/detail/channel_ends.hpp>
#include <constellation/detail/serialization.hpp>
#include <constellation/pid.hpp>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace constellation {

namespace detail {

// message_header_room bytes, then value's encoding. Into an outgoing_message, large contiguous
// blocks stay in value: it must outlive the send.
template <class Message = std::string, class T>
Message serialize_message(const T& value) {
  static_assert(is_serializable<T>,
                "channel: T cannot be serialized with cereal; give it a serialize() member (or "
                "save/load) or include the cereal/types/ header for it");
  Message message;
  std::string& bytes = [&]() -> std::string& {
    if constexpr (std::is_same_v<Message, std::string>)
      return message;
    else
      return message.bytes;
  }();
  bytes.assign(message_header_room, '\0');
  append_serialized(message, value);
  return message;
}

template <class T>
T decode_message(const receiving_end& end, received_message&& message) {
  end.check_type(message, type_tag_of<T>());
  return deserialize_value<T>(message.payload());
}

// Runs handler on its own executor, holding that executor's work count until then, as Asio's
// sockets do, so that io_context::run() does not return while an operation is pending. The
// completing thread keeps its work guard until post() has returned: post() wakes the handler's
// thread and then signals the io_context's condition variable, so had the guard travelled with the
// handler, the handler could run and its owner tear the io_context down inside that call.
template <class Handler, class... Args>
auto bind_completion(Handler handler, auto&& convert) {
  auto work = boost::asio::make_work_guard(boost::asio::get_associated_executor(handler));
  return [handler = std::move(handler), work = std::move(work), convert = std::move(convert)](
             boost::system::error_code ec, auto&&... raw) mutable {
    boost::asio::post(work.get_executor(), [handler = std::move(handler),
                                            result = convert(ec, std::move(raw)...)]() mutable {
      std::apply(std::move(handler), std::move(result));
    });
    work.reset();
  };
}

}  // namespace detail

// The sending end of a channel to one remote process. Move-only.
template <class T>
class sender {
 public:
  // std::logic_error when remote is this process, or a live sender to remote exists here.
  explicit sender(pid remote) : end_(remote) {}

  // Returns once the runtime holds the message within the receiver's window: from then on it
  // reaches the receiver, even if this process exits (returns from main or the spawned
  // function, or calls exit()). A process killed outright (SIGKILL, the OOM killer) takes with it
  // what its runtime had not yet written, as any process loses its unflushed buffers. Blocks
  // while the window is full (backpressure). Throws channel_error when the remote has exited or
  // died.
  void send(const T& value) {
    // value outlives the call: its large blocks go to the socket from where they are.
    end_.send(detail::type_tag_of<T>(), detail::serialize_message<detail::outgoing_message>(value));
  }

  // As send(), completing with void(boost::system::error_code) on the handler's executor.
  template <class Token>
  auto async_send(T value, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
        [this](auto handler, T v) {
          end_.async_send(
              detail::type_tag_of<T>(), detail::serialize_message(v),
              detail::bind_completion(std::move(handler), [](boost::system::error_code ec) {
                return std::tuple<boost::system::error_code>(ec);
              }));
        },
        token, std::move(value));
  }

  pid remote() const { return end_.remote(); }

 private:
  detail::sending_end end_;
};

// The receiving end of a channel from one remote process. Move-only.
template <class T>
class receiver {
 public:
  // std::logic_error when remote is this process, or a live receiver from remote exists here.
  explicit receiver(pid remote) : end_(remote) {}

  // Blocks for the next message. Throws channel_error once the remote is gone and every message
  // it sent was received (exited or died), or when the message is not a T (type_mismatch).
  T recv() { return detail::decode_message<T>(end_, end_.recv()); }

  // Never blocks: nullopt when nothing is there. Throws as recv() does.
  std::optional<T> try_recv() {
    auto message = end_.try_recv();
    if (!message) return std::nullopt;
    return detail::decode_message<T>(end_, std::move(*message));
  }

  // nullopt after timeout. Throws as recv() does.
  template <class Rep, class Period>
  std::optional<T> recv_for(std::chrono::duration<Rep, Period> timeout) {
    auto message = end_.recv_for(std::chrono::duration_cast<std::chrono::nanoseconds>(timeout));
    if (!message) return std::nullopt;
    return detail::decode_message<T>(end_, std::move(*message));
  }

  // Completes with void(boost::system::error_code, T) on the handler's executor: the codes of
  // recv()'s channel_error, or channel_errc::undecodable when decoding the value threw (T's load
  // refused it, or the bytes ended early), where recv() would throw that exception itself. The
  // channel goes on with the next message.
  template <class Token>
  auto async_recv(Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, T)>(
        [this](auto handler) {
          end_.async_recv(detail::bind_completion(
              std::move(handler),
              [this](boost::system::error_code ec, detail::received_message message) {
                T value{};
                if (!ec) {
                  try {
                    value = detail::decode_message<T>(end_, std::move(message));
                  } catch (const channel_error& e) {
                    ec = make_error_code(e.reason());
                  } catch (...) {
                    // Decoding runs on the transport thread (or in the caller of async_recv), where
                    // an exception would end the process; the handler is the only place to report
                    // it. An error_code carries no exception, so its kind is all that survives.
                    ec = make_error_code(channel_errc::undecodable);
                  }
                }
                return std::tuple<boost::system::error_code, T>(ec, std::move(value));
              }));
        },
        token);
  }

  pid remote() const { return end_.remote(); }

 private:
  template <class... Ts>
  friend std::variant<Ts...> select(receiver<Ts>&... from);
  template <class U>
  friend std::pair<std::size_t, U> select(std::span<receiver<U>> from);
  detail::receiving_end end_;
};

// Blocks until one of the receivers has a message and returns it; index() says which receiver.
// Throws channel_error for a receiver whose remote is gone once all it sent was received.
template <class... Ts>
std::variant<Ts...> select(receiver<Ts>&... from) {
  std::array<detail::receiving_end*, sizeof...(Ts)> ends{&from.end_...};
  detail::received_message message;
  const std::size_t index = detail::select_ready(ends, message);
  std::optional<std::variant<Ts...>> result;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((index == I ? (result.emplace(std::in_place_index<I>,
                                   detail::decode_message<Ts>(*ends[I], std::move(message))),
                    0)
                 : 0),
     ...);
  }
  (std::index_sequence_for<Ts...>{});
  return std::move(*result);
}

// The same over any number of receivers of one type: (index in from, message).
template <class T>
std::pair<std::size_t, T> select(std::span<receiver<T>> from) {
  std::vector<detail::receiving_end*> ends;
  ends.reserve(from.size());
  for (auto& r : from) ends.push_back(&r.end_);
  detail::received_message message;
  const std::size_t index = detail::select_ready(ends, message);
  return {index, detail::decode_message<T>(*ends[index], std::move(message))};
}

}  // namespace constellation
