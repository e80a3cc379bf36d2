#pragma once
// Errors of channels, as exceptions for the blocking API and error codes for the async one.

#include <boost/system/error_code.hpp>

#include <stdexcept>
#include <string>
#include <type_traits>

namespace constellation {

enum class channel_errc {
  exited = 1,       // the remote process ended normally, and every message it sent was received
  died,             // the remote process was killed, crashed, or was lost with its node
  type_mismatch,    // the sender's type is not the receiver's
  unauthenticated,  // the remote is not a process of this job (it failed the job's secret)
  too_large,        // a message beyond the frame limit
  undecodable,      // async_recv: the message's bytes could not be decoded as the receiver's type
  unresponsive,     // the remote lives but did not answer a new link in time (stopped, or hung)
};

// The enumerator's name ("exited", "died", ...), as to_string(spawn_errc) gives for spawns.
const char* to_string(channel_errc e);

const boost::system::error_category& channel_category() noexcept;
inline boost::system::error_code make_error_code(channel_errc e) noexcept {
  return {static_cast<int>(e), channel_category()};
}

struct channel_error : std::runtime_error {
  channel_error(channel_errc reason, const std::string& what)
      : std::runtime_error(what), reason_(reason) {}
  channel_errc reason() const { return reason_; }

 private:
  channel_errc reason_;
};

}  // namespace constellation

template <>
struct boost::system::is_error_code_enum<constellation::channel_errc> : std::true_type {};
