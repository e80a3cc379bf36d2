#pragma once
// The typed errors of the public API.

#include <stdexcept>
#include <string>

namespace constellation {

enum class spawn_errc { no_capacity, never_fits, not_initialized, launch_failed };

// Thrown by spawn(); returned by try_spawn(). what() says what happened and what to do.
struct spawn_error : std::runtime_error {
  spawn_error(spawn_errc reason, const std::string& what)
      : std::runtime_error(what), reason_(reason) {}
  spawn_errc reason() const { return reason_; }

 private:
  spawn_errc reason_;
};

const char* to_string(spawn_errc e);

}  // namespace constellation
