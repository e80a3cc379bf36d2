#pragma once
// A process's requests to its node agent (spawns), over the control socket the agent gave it.
// Blocking; any number of threads may ask at once: whichever waits first reads replies for all.

#include "posix/unique_fd.hpp"
#include "wire/messages.hpp"

#include <condition_variable>
#include <cstdint>
#include <expected>
#include <map>
#include <mutex>
#include <string>

namespace constellation::runtime {

class control_client {
 public:
  explicit control_client(posix::unique_fd fd) : fd_(std::move(fd)) {}
  control_client(const control_client&) = delete;
  control_client& operator=(const control_client&) = delete;

  // Each sends its request and waits for the reply. Fails, never hangs, when the agent is gone.
  std::expected<wire::spawn_reply, std::string> spawn(wire::spawn_request request);
  // unknown when the agent cannot be asked.
  wire::peer_status peer_status(const pid& who);
  // Writes a framed message that has no reply (a progress_report) and returns. A failure is
  // ignored: a process whose agent is gone has nobody to show its progress to.
  void send_one_way(const std::string& frame);

 private:
  struct raw_reply {
    std::uint8_t type = 0;
    std::string payload;
  };
  template <class Request, class Reply>
  std::expected<Reply, std::string> exchange(Request request);
  std::expected<raw_reply, std::string> wait_for_reply(std::uint64_t id);
  std::expected<void, std::string> write_frame(const std::string& bytes);
  std::expected<void, std::string> read_one_reply();

  posix::unique_fd fd_;
  std::mutex write_mutex_;
  std::mutex mutex_;
  std::condition_variable replied_;
  bool reading_ = false;
  std::string broken_;  // why the connection failed; empty while it works
  std::uint64_t next_request_ = 1;
  std::map<std::uint64_t, raw_reply> replies_;
  std::string buffer_;
};

}  // namespace constellation::runtime
