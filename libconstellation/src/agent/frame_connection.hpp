#pragma once
// A framed stream connection on an Asio loop: reads frames and hands them over, writes with one
// write in flight and a queue behind it. For daemons and the bridge, not for the channel fast path.
//
// The queue has no bound of its own: what a connection carries is bounded by its users' windows
// (wire/cluster_messages.hpp, "Flow control"), or by pausing the reading (pause_reading), which
// lets the peer's writes block in its socket. Buffers that grew for a large frame are given back
// once it has passed.

#include "agent/connection_end.hpp"
#include "wire/frame.hpp"

#include <boost/asio/generic/stream_protocol.hpp>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace constellation::agent {

class frame_connection : public std::enable_shared_from_this<frame_connection> {
 public:
  using socket_type = boost::asio::generic::stream_protocol::socket;
  using frame_handler = std::function<void(std::uint8_t type, std::string_view payload)>;
  // Called once, when the peer closed, the connection failed, or a frame was malformed; end.why
  // says which.
  using close_handler = std::function<void(const connection_end& end)>;
  // Called once the bytes of one send() were written to the socket (not if the connection closed
  // or failed first).
  using written_handler = std::function<void()>;

  frame_connection(socket_type socket, std::size_t max_payload = wire::default_max_payload)
      : socket_(std::move(socket)), max_payload_(max_payload) {}

  // already_received: bytes read before the connection was handed over (after a handshake).
  void start(frame_handler on_frame, close_handler on_close, std::string already_received = {});
  void send(std::string bytes, written_handler written = nullptr);
  // Bytes queued by send() and not yet written.
  std::size_t queued_bytes() const { return queued_bytes_; }
  // Stops handing frames over, after the one being handled, and reading the socket, until
  // resume_reading(); the peer's writes then wait in its socket. Closing still works as before.
  void pause_reading();
  // Hands over the frames read meanwhile (later, on the loop), and reads on.
  void resume_reading();
  // Closes now; the close handler is not called for a close asked for.
  void close();
  bool open() const { return !closed_; }
  socket_type& socket() { return socket_; }

 private:
  void read_more();
  void process_input();
  void write_next();
  void fail(connection_end end);

  socket_type socket_;
  std::size_t max_payload_;
  frame_handler on_frame_;
  close_handler on_close_;
  std::string input_;
  std::size_t input_used_ = 0;
  struct outgoing {
    std::string bytes;
    written_handler written;
  };
  std::deque<outgoing> output_;
  std::size_t queued_bytes_ = 0;
  bool reading_ = false;  // a read is in flight
  bool paused_ = false;
  std::optional<connection_end> end_of_input_;  // why reading ended, once it has
  bool writing_ = false;
  bool write_failed_ = false;
  bool closed_ = false;
};

}  // namespace constellation::agent
