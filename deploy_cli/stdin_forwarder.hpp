#pragma once
// Reads constellation-deploy's stdin on the loop and hands it over in chunks, for the job's top
// process. Whatever stdin is:
//   - a pipe, FIFO or terminal: read as it comes, through a descriptor of our own (a fresh open of
//     /proc/self/fd/0), so that making it non-blocking does not change the shell's own stdin;
//   - a regular file, /dev/null, or anything else epoll cannot watch: read in chunks, one per turn
//     of the loop, since such reads do not wait;
//   - closed: at its end at once.
// No thread: the loop stays the only one. Chunks are at most stdin_chunk bytes.

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>

namespace constellation::deploy {

inline constexpr std::size_t stdin_chunk = 64 * 1024;

class stdin_forwarder {
 public:
  using data_handler = std::function<void(std::string bytes)>;
  // At the end of stdin: problem is empty at end of file, else why reading failed.
  using end_handler = std::function<void(const std::string& problem)>;

  virtual ~stdin_forwarder() = default;
  // Stops reading; no handler is called after this.
  virtual void stop() = 0;
  // Reads no more until resume(): stdin then waits where it comes from (a pipe's writer blocks).
  // The chunk being read, if any, is still handed over.
  virtual void pause() = 0;
  virtual void resume() = 0;
};

// Starts reading fd (0 in the program; another in tests). Handlers run on io's loop.
std::shared_ptr<stdin_forwarder> forward_stdin(boost::asio::io_context& io, int fd,
                                               stdin_forwarder::data_handler on_data,
                                               stdin_forwarder::end_handler on_end);

}  // namespace constellation::deploy
