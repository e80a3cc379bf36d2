#include "cluster/link_failure.hpp"

namespace constellation::cluster {

namespace {
const char* summary(link_failure::cause why) {
  switch (why) {
    case link_failure::cause::cannot_connect:
      return "cannot connect";
    case link_failure::cause::lost:
      return "connection lost during the handshake";
    case link_failure::cause::closed_by_peer:
      return "closed by the peer during the handshake";
    case link_failure::cause::timed_out:
      return "the handshake timed out";
    case link_failure::cause::crowded_out:
      return "closed to make room";
    case link_failure::cause::refused:
      return "handshake refused";
  }
  return "failed";
}
}  // namespace

std::string link_failure::text() const {
  std::string sentence = summary(why);
  if (!detail.empty()) sentence += ": " + detail;
  return sentence;
}

link_failure refused_handshake(wire::handshake_error e) {
  return {link_failure::cause::refused, wire::to_string(e), e};
}

}  // namespace constellation::cluster
