#include <constellation/errors.hpp>

namespace constellation {

const char* to_string(spawn_errc e) {
  switch (e) {
    case spawn_errc::no_capacity:
      return "no_capacity";
    case spawn_errc::never_fits:
      return "never_fits";
    case spawn_errc::not_initialized:
      return "not_initialized";
    case spawn_errc::launch_failed:
      return "launch_failed";
  }
  return "unknown";
}

}  // namespace constellation
