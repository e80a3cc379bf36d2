#include "agent/frame_connection.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>

namespace constellation::agent {

void frame_connection::start(frame_handler on_frame, close_handler on_close, std::string already_received) {
  on_frame_ = std::move(on_frame);
  on_close_ = std::move(on_close);
  input_ = std::move(already_received);
  input_used_ = input_.size();
  process_input();
}

void frame_connection::process_input() {
  std::size_t consumed = 0;
  while (!closed_) {
    auto decoded = wire::decode_frame(std::string_view(input_).substr(consumed, input_used_ - consumed), max_payload_);
    if (!decoded) {
      fail(wire::to_string(decoded.error()));
      return;
    }
    if (!*decoded) break;
    consumed += (*decoded)->size;
    on_frame_((*decoded)->type, (*decoded)->payload);
  }
  if (closed_) return;
  input_.erase(0, consumed);
  input_used_ -= consumed;
  read_more();
}

void frame_connection::read_more() {
  constexpr std::size_t chunk = 64 * 1024;
  // Grown without zero-filling: only what the socket writes is touched, so that an agent with
  // many quiet connections does not fault in 64 KiB for each.
  if (input_.size() < input_used_ + chunk)
    input_.resize_and_overwrite(input_used_ + chunk, [](char*, std::size_t n) { return n; });
  socket_.async_read_some(
      boost::asio::buffer(input_.data() + input_used_, chunk),
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
        if (self->closed_) return;
        if (ec) {
          self->fail(ec == boost::asio::error::eof ? "closed by the peer" : ec.message());
          return;
        }
        self->input_used_ += n;
        self->process_input();
      });
}

void frame_connection::send(std::string bytes) {
  if (closed_ || write_failed_) return;
  output_.push_back(std::move(bytes));
  if (!writing_) write_next();
}

void frame_connection::write_next() {
  if (output_.empty() || closed_) {
    writing_ = false;
    return;
  }
  writing_ = true;
  boost::asio::async_write(socket_, boost::asio::buffer(output_.front()),
                           [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                             if (self->closed_) return;
                             if (ec) {
                               // The peer may have said its last words before it went (a
                               // monitor's exit report): stop writing, and let the reading side
                               // end the connection once it has read them.
                               self->output_.clear();
                               self->writing_ = false;
                               self->write_failed_ = true;
                               return;
                             }
                             self->output_.pop_front();
                             self->write_next();
                           });
}

void frame_connection::fail(const std::string& why) {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  socket_.close(ignored);
  if (on_close_) {
    auto handler = std::move(on_close_);
    handler(why);
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
