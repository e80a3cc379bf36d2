// async_recv() with boost::asio::use_future, then in a coroutine on the user's own io_context
// (co_spawn, use_awaitable), then: io_context::run() does not return while an async_recv is
// pending, since the operation counts as outstanding work.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <exception>
#include <iostream>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace constellation::literals;
using namespace std::chrono_literals;

namespace {

// Sends 1..5 at once; then, 300 ms after the parent says go, 6.
void values(constellation::pid parent) {
  constellation::sender<int> out(parent);
  for (int i = 1; i <= 5; ++i) out.send(i);
  constellation::receiver<int>(parent).recv();
  std::this_thread::sleep_for(300ms);
  out.send(6);
}

asio::awaitable<void> gather(constellation::receiver<int>& in, std::vector<int>& got) {
  for (int i = 0; i < 4; ++i) got.push_back(co_await in.async_recv(asio::use_awaitable));
}

}  // namespace

CONSTELLATION_SCENARIO(channel_b_async) {
  const auto child = constellation::spawn({.mem = 64_MiB, .cpu = 0.1}, values);
  constellation::receiver<int> in(child);

  std::future<int> first = in.async_recv(asio::use_future);
  std::cout << "use_future got " << first.get() << std::endl;

  asio::io_context io;
  std::vector<int> got;
  asio::co_spawn(io, gather(in, got), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
  std::cout << "coroutine got";
  for (int v : got) std::cout << ' ' << v;
  std::cout << std::endl;

  asio::io_context io2;
  int last = 0;
  bool completed = false;
  in.async_recv(asio::bind_executor(io2, [&](boost::system::error_code ec, int v) {
    completed = !ec;
    last = v;
  }));
  constellation::sender<int>(child).send(0);  // go: 6 comes 300 ms from now
  const auto start = std::chrono::steady_clock::now();
  io2.run();
  const auto ran = std::chrono::steady_clock::now() - start;
  if (completed && ran >= 250ms)
    std::cout << "run() returned after the pending async_recv completed with " << last << std::endl;
  else
    std::cout << "run() returned after "
              << std::chrono::duration_cast<std::chrono::milliseconds>(ran).count()
              << " ms, completed " << completed << std::endl;
  return 0;
}
