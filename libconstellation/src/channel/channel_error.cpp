#include <constellation/channel_error.hpp>

// Boost's error_category has a protected non-virtual destructor by design.
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"

namespace constellation {

namespace {
class channel_category_impl : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "constellation.channel"; }
  std::string message(int value) const override {
    switch (static_cast<channel_errc>(value)) {
      case channel_errc::exited:
        return "the remote process has exited";
      case channel_errc::died:
        return "the remote process has died";
      case channel_errc::type_mismatch:
        return "the message is not of the receiver's type";
      case channel_errc::unauthenticated:
        return "the remote process is not part of this job";
      case channel_errc::too_large:
        return "the message exceeds the frame limit";
      case channel_errc::undecodable:
        return "the message could not be decoded as the receiver's type";
      case channel_errc::unresponsive:
        return "the remote process does not answer";
    }
    return "unknown channel error";
  }
};
}  // namespace

const char* to_string(channel_errc e) {
  switch (e) {
    case channel_errc::exited:
      return "exited";
    case channel_errc::died:
      return "died";
    case channel_errc::type_mismatch:
      return "type_mismatch";
    case channel_errc::unauthenticated:
      return "unauthenticated";
    case channel_errc::too_large:
      return "too_large";
    case channel_errc::undecodable:
      return "undecodable";
    case channel_errc::unresponsive:
      return "unresponsive";
  }
  return "unknown";
}

const boost::system::error_category& channel_category() noexcept {
  static const channel_category_impl instance;
  return instance;
}

}  // namespace constellation
