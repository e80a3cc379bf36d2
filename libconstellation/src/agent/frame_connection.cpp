#include "agent/frame_connection.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

namespace constellation::agent {

namespace {
// What one read asks for.
constexpr std::size_t read_chunk = 64 * 1024;
// An input buffer that grew beyond this for a large frame (a binary upload) is given back once the
// frame has been handed over: a daemon keeps no peak's worth of memory per connection.
constexpr std::size_t input_kept = 1024 * 1024;
}  // namespace

void frame_connection::start(frame_handler on_frame, close_handler on_close,
                             std::string already_received) {
  on_frame_ = std::move(on_frame);
  on_close_ = std::move(on_close);
  input_ = std::move(already_received);
  input_used_ = input_.size();
  process_input();
}

void frame_connection::process_input() {
  std::size_t consumed = 0;
  while (!closed_ && !paused_) {
    auto decoded = wire::decode_frame(
        std::string_view(input_).substr(consumed, input_used_ - consumed), max_payload_);
    if (!decoded) {
      fail({connection_end::cause::malformed, wire::to_string(decoded.error())});
      return;
    }
    if (!*decoded) break;
    consumed += (*decoded)->size;
    on_frame_((*decoded)->type, (*decoded)->payload);
  }
  if (closed_) return;
  input_.erase(0, consumed);
  input_used_ -= consumed;
  if (input_.capacity() > input_kept && input_used_ < read_chunk) {
    input_.resize(input_used_);
    input_.shrink_to_fit();
  }
  if (paused_) return;
  // The peer's end comes after the frames it sent before it, held back by a pause.
  if (end_of_input_) return fail(*end_of_input_);
  if (!reading_) read_more();
}

void frame_connection::pause_reading() {
  paused_ = true;
}

void frame_connection::resume_reading() {
  if (!paused_ || closed_) return;
  paused_ = false;
  // Later, not here: the caller may be handling a frame of this very connection.
  boost::asio::post(socket_.get_executor(), [self = shared_from_this()] {
    if (!self->paused_ && !self->closed_) self->process_input();
  });
}

void frame_connection::read_more() {
  // Grown without zero-filling: only what the socket writes is touched, so that an agent with
  // many quiet connections does not fault in 64 KiB for each.
  if (input_.size() < input_used_ + read_chunk)
    input_.resize_and_overwrite(input_used_ + read_chunk, [](char*, std::size_t n) { return n; });
  reading_ = true;
  socket_.async_read_some(
      boost::asio::buffer(input_.data() + input_used_, read_chunk),
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
        self->reading_ = false;
        if (self->closed_) return;
        if (ec) {
          self->end_of_input_ =
              ec == boost::asio::error::eof
                  ? connection_end{connection_end::cause::peer_closed, "closed by the peer"}
                  : connection_end{connection_end::cause::failed, ec.message()};
          return self->process_input();
        }
        self->input_used_ += n;
        self->process_input();
      });
}

void frame_connection::send(std::string bytes, written_handler written) {
  if (closed_ || write_failed_) return;
  queued_bytes_ += bytes.size();
  output_.push_back({std::move(bytes), std::move(written)});
  if (!writing_) write_next();
}

void frame_connection::write_next() {
  if (output_.empty() || closed_) {
    writing_ = false;
    return;
  }
  writing_ = true;
  boost::asio::async_write(
      socket_, boost::asio::buffer(output_.front().bytes),
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
        if (self->closed_) return;
        if (ec) {
          // The peer may have said its last words before it went (a
          // monitor's exit report): stop writing, and let the reading side
          // end the connection once it has read them.
          self->output_.clear();
          self->queued_bytes_ = 0;
          self->writing_ = false;
          self->write_failed_ = true;
          return;
        }
        auto done = std::move(self->output_.front());
        self->output_.pop_front();
        self->queued_bytes_ -= done.bytes.size();
        if (done.written) done.written();
        self->write_next();
      });
}

void frame_connection::fail(connection_end end) {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  socket_.close(ignored);
  if (on_close_) {
    auto handler = std::move(on_close_);
    handler(end);
  }
}

void frame_connection::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  socket_.close(ignored);
  // The frame handler may be what called close(): it must outlive this call, so it stays.
  on_close_ = nullptr;
}

}  // namespace constellation::agent
