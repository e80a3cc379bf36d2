#include "ownership/master_ownership.hpp"

namespace constellation::fabric {

master_ownership::decision master_ownership::claim(const std::string& identity,
                                                   clock::time_point now) {
  decision d;
  if (!owner_.empty() && identity != owner_) {
    if (linked_ || now - lost_at_ < grace_) {
      const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(grace_).count();
      d.problem =
          "this node belongs to master " + owner_ +
          (linked_ ? ", whose link is up"
                   : ", whose link was lost less than " + std::to_string(seconds) + " s ago") +
          "; a node serves one master: list it in the nodes.toml of only one of them";
      return d;
    }
    d.previous_owner = owner_;
  }
  d.accepted = true;
  owner_ = identity;
  linked_ = true;
  return d;
}

void master_ownership::lost(clock::time_point now) {
  if (!linked_) return;
  linked_ = false;
  lost_at_ = now;
}

}  // namespace constellation::fabric
