#pragma once
// The untyped ends of channels, implemented by the library's transport. The typed sender<T> and
// receiver<T> are thin templates over these.

#include <constellation/channel_error.hpp>
#include <constellation/detail/message_parts.hpp>
#include <constellation/pid.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace constellation::detail {

// A type's identity on the wire: a hash of its name, and the name for error messages.
struct type_tag {
  std::uint64_t hash;
  std::string_view name;
};

template <class T>
constexpr std::string_view type_name() {
  std::string_view f = __PRETTY_FUNCTION__;  // "... type_name() [with T = int; ...]"
  const auto start = f.find("T = ") + 4;
  const auto end = f.find_first_of(";]", start);
  return f.substr(start, end - start);
}

constexpr std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  return h;
}

template <class T>
constexpr type_tag type_tag_of() {
  return {fnv1a(type_name<T>()), type_name<T>()};
}

// A message as it crossed the wire: its sender's type and its cereal bytes.
struct received_message {
  std::uint64_t type_hash = 0;
  std::string bytes;
  std::size_t offset = 0;  // where the value's bytes begin in `bytes`
  std::string_view payload() const { return std::string_view(bytes).substr(offset); }
};

// Bytes reserved in front of a serialized value for the frame header the transport writes there,
// so that a message is copied once, by the serializer.
inline constexpr std::size_t message_header_room = 13;

struct peer_state;  // the transport's record of one remote process

class sending_end {
 public:
  explicit sending_end(pid remote);  // std::logic_error: own pid, or a live sender to it exists
  ~sending_end();
  sending_end(sending_end&& other) noexcept = default;
  sending_end& operator=(sending_end&& other) noexcept;

  // message: message_header_room bytes, then the value's bytes. Blocks until the transport holds
  // it within the receiver's window, and a message with borrowed blocks until the socket took
  // them; throws channel_error when the remote is gone.
  void send(const type_tag& type, outgoing_message message);
  void async_send(const type_tag& type, std::string message,
                  std::move_only_function<void(boost::system::error_code)> done);
  pid remote() const;

 private:
  std::shared_ptr<peer_state> peer_;
};

class receiving_end {
 public:
  explicit receiving_end(
      pid remote);  // std::logic_error: own pid, or a live receiver from it exists
  ~receiving_end();
  receiving_end(receiving_end&& other) noexcept = default;
  receiving_end& operator=(receiving_end&& other) noexcept;

  received_message recv();  // throws channel_error once the remote is gone and all was received
  std::optional<received_message> try_recv();
  std::optional<received_message> recv_for(std::chrono::nanoseconds timeout);
  void async_recv(std::move_only_function<void(boost::system::error_code, received_message)> done);
  pid remote() const;

  // Throws channel_error (type_mismatch) naming both types when message is not of type.
  void check_type(const received_message& message, const type_tag& type) const;

 private:
  friend std::size_t select_ready(std::span<receiving_end* const> ends, received_message& out);
  std::shared_ptr<peer_state> peer_;
};

// Blocks until one of ends has a message (or its remote is gone: then throws for it); the index
// of that end, with its message in out. Starts each search after the last end chosen, so that a
// busy end cannot starve the others.
std::size_t select_ready(std::span<receiving_end* const> ends, received_message& out);

}  // namespace constellation::detail
