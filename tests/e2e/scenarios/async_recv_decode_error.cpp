// A value that cannot be decoded (its load throws, or its bytes end early) reaches async_recv's
// handler as an error code, in the completion-handler form and in a coroutine, instead of ending
// the process from the transport thread; the channel goes on with the next message.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <cstdint>
#include <exception>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>

namespace asio = boost::asio;
using namespace constellation::literals;

namespace {

// kind 0: a good record. kind 1: its load throws, as a user's validating load would. kind 2: its
// save leaves the text out, so the bytes end before the load is done (a malformed payload).
struct record {
  std::int32_t kind = 0;
  std::string text;
  template <class Archive>
  void save(Archive& archive) const {
    archive(kind);
    if (kind != 2) archive(text);
  }
  template <class Archive>
  void load(Archive& archive) {
    archive(kind);
    if (kind == 1) throw std::runtime_error("record: kind 1 is refused");
    archive(text);
  }
};

void writer(constellation::pid parent) {
  constellation::sender<record> out(parent);
  out.send({1, "refused"});
  out.send({0, "after the refused one"});
  out.send({2, "cut short"});
  out.send({0, "after the cut one"});
  out.send({1, "refused"});
  out.send({0, "after the refused one"});
  // Wait for the parent, so that the messages arrive while the link is up and the transport
  // thread decodes them for a pending async_recv.
  constellation::receiver<int>(parent).recv();
}

void print(const char* form, const boost::system::error_code& ec, const record& r) {
  if (ec)
    std::cout << form << ": error " << ec.category().name() << ": " << ec.message() << std::endl;
  else
    std::cout << form << ": " << r.text << std::endl;
}

asio::awaitable<void> await_two(constellation::receiver<record>& in) {
  for (int i = 0; i < 2; ++i) {
    try {
      print("coroutine", {}, co_await in.async_recv(asio::use_awaitable));
    } catch (const boost::system::system_error& e) {
      print("coroutine", e.code(), {});
    }
  }
}

}  // namespace

CONSTELLATION_SCENARIO(async_recv_decode_error) {
  const auto child = constellation::spawn({.mem = 64_MiB, .cpu = 0.1}, writer);
  constellation::receiver<record> in(child);

  // The handler form, each async_recv issued from the previous one's handler.
  asio::io_context io;
  int left = 4;
  std::function<void()> next = [&] {
    in.async_recv(asio::bind_executor(io, [&](boost::system::error_code ec, record r) {
      print("handler", ec, r);
      if (--left > 0) next();
    }));
  };
  next();
  io.run();

  asio::io_context io2;
  asio::co_spawn(io2, await_two(in), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io2.run();

  constellation::sender<int>(child).send(0);
  return 0;
}
