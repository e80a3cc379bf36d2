#pragma once
// A process's requests to its node agent (spawns), over the control socket the agent gave it.
// Blocking; any number of threads may ask at once: whichever waits first reads replies for all.

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
  explicit control_client(int fd) : fd_(fd) {}
  ~control_client();
  control_client(const control_client&) = delete;
  control_client& operator=(const control_client&) = delete;

  // Sends the request and waits for its reply. Fails, never hangs, when the agent is gone.
  std::expected<wire::spawn_reply, std::string> spawn(wire::spawn_request request);

 private:
  std::expected<void, std::string> write_frame(const std::string& bytes);
  std::expected<void, std::string> read_one_reply();

  int fd_;
  std::mutex write_mutex_;
  std::mutex mutex_;
  std::condition_variable replied_;
  bool reading_ = false;
  std::string broken_;  // why the connection failed; empty while it works
  std::uint64_t next_request_ = 1;
  std::map<std::uint64_t, wire::spawn_reply> replies_;
  std::string buffer_;
};

}  // namespace constellation::runtime
