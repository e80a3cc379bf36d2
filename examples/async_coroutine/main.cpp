// Receiving in coroutines: the top runs its own Boost.Asio io_context on one thread, with one
// coroutine per producer process awaiting async_recv(), and a timer ticking alongside to show
// that no coroutine blocks the thread while it waits for a message.
//
//   async_coroutine [producers [values]]      default 3 producers of 5 values each
#include <constellation/constellation.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

namespace asio = boost::asio;
using constellation::pid;
using namespace constellation::literals;
using namespace std::chrono_literals;

// Sends values first * 1, ..., first * count, some time apart, then an empty optional: the end.
void producer(pid parent, int first, int count) {
  constellation::sender<std::optional<int>> out(parent);
  for (int i = 1; i <= count; ++i) {
    std::this_thread::sleep_for(10ms * first);
    out.send(first * i);
  }
  out.send(std::nullopt);
}

// Sums one producer's stream. co_await suspends this coroutine, not the thread; an error (the
// producer died) is thrown here as boost::system::system_error.
asio::awaitable<void> gather(pid from, int index, long& sum, int& streams_open) {
  constellation::receiver<std::optional<int>> in(from);
  while (std::optional<int> value = co_await in.async_recv(asio::use_awaitable)) {
    std::cout << "producer " << index << " sent " << *value << std::endl;
    sum += *value;
  }
  std::cout << "producer " << index << " is done" << std::endl;
  --streams_open;
}

// Ticks every 50 ms while any stream is open, on the same thread as the receiving coroutines.
asio::awaitable<void> tick(int& streams_open) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (int n = 1; streams_open > 0; ++n) {
    timer.expires_after(50ms);
    co_await timer.async_wait(asio::use_awaitable);
    std::cout << "tick " << n << std::endl;
  }
}

int main(int argc, char** argv) {
  constellation::init();
  const int producers = argc > 1 ? std::atoi(argv[1]) : 3;
  const int values = argc > 2 ? std::atoi(argv[2]) : 5;
  if (producers < 1 || producers > 16 || values < 0 || values > 100) {
    std::cerr
        << "usage: async_coroutine [producers [values]], producers in 1..16, values in 0..100\n";
    return 2;
  }
  asio::io_context io;  // the program's own loop; the runtime's transport runs on another thread
  // A coroutine's exception, if any, leaves io.run() below instead of being dropped.
  auto rethrow = [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  };
  long sum = 0;
  int streams_open = producers;
  for (int p = 1; p <= producers; ++p) {
    const pid from = constellation::spawn({.mem = 16_MiB, .cpu = 0.1}, producer, p, values);
    asio::co_spawn(io, gather(from, p, sum, streams_open), rethrow);
  }
  asio::co_spawn(io, tick(streams_open), rethrow);
  io.run();  // returns once every coroutine has finished

  // Producer p sends p * (1 + ... + values).
  const long expected =
      static_cast<long>(producers) * (producers + 1) / 2 * values * (values + 1) / 2;
  std::cout << "sum of all values = " << sum
            << (sum == expected ? "" : " WRONG, expected " + std::to_string(expected)) << std::endl;
  return sum == expected ? 0 : 1;
}
