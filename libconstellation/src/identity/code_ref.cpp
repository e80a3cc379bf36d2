#include <constellation/code_ref.hpp>

#include "identity/code_identity.hpp"

#include <stdexcept>

namespace constellation {

code_ref::code_ref(void (*f)()) {
  auto identity = identity::identify_code(reinterpret_cast<const void*>(f));
  if (!identity) throw std::runtime_error("constellation::code_ref: " + identity.error());
  object_id_ = std::move(identity->object_id);
  object_name_ = std::move(identity->object_name);
  offset_ = identity->offset;
}

void (*code_ref::locate() const)() {
  if (object_id_.empty())
    throw std::runtime_error("constellation::code_ref: resolving a code_ref that names nothing");
  auto address = identity::locate_code({object_id_, object_name_, offset_});
  if (!address) throw std::runtime_error("constellation::code_ref: " + address.error());
  return reinterpret_cast<void (*)()>(const_cast<void*>(*address));
}

}  // namespace constellation
