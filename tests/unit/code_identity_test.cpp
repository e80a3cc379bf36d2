#include "identity/code_identity.hpp"
#include "identity/entry_registry.hpp"

#include <doctest/doctest.h>
#include <constellation/spawn.hpp>

#include <dlfcn.h>

namespace {
int answer() {
  return 42;
}
void spawnable(constellation::pid, int, std::string) {}
}  // namespace

using namespace constellation;

TEST_CASE("code identity: round trip to the same address") {
  auto id = identity::identify_code(reinterpret_cast<const void*>(&answer));
  REQUIRE(id.has_value());
  CHECK(id->object_id.starts_with("build-id:"));
  auto address = identity::locate_code(*id);
  REQUIRE(address.has_value());
  CHECK(*address == reinterpret_cast<const void*>(&answer));
  CHECK(reinterpret_cast<int (*)()>(const_cast<void*>(*address))() == 42);
}

TEST_CASE("code identity: a function in a shared library names that library") {
  auto id = identity::identify_code(reinterpret_cast<const void*>(&::dlsym));
  REQUIRE(id.has_value());
  CHECK(id->object_name.find("libc") != std::string::npos);
  CHECK(identity::locate_code(*id).value() == reinterpret_cast<const void*>(&::dlsym));
}

TEST_CASE("code identity: another build or a wrong offset is refused, never resolved") {
  auto id = identity::identify_code(reinterpret_cast<const void*>(&answer)).value();
  auto other_build = id;
  other_build.object_id = "build-id:00112233445566778899aabbccddeeff00112233";
  auto refused = identity::locate_code(other_build);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().find("not the same build") != std::string::npos);

  auto outside = id;
  outside.offset = 1ull << 40;
  CHECK_FALSE(identity::locate_code(outside).has_value());
}

TEST_CASE("code identity: data is not code") {
  static int data = 0;
  CHECK_FALSE(identity::identify_code(&data).has_value());
}

TEST_CASE("entry registry: spawn entries register themselves, other code does not") {
  auto entry = detail::spawnable<decltype(&spawnable)>::entry();
  CHECK(identity::is_registered_entry(entry));
  auto not_entry =
      reinterpret_cast<detail::entry_function>(reinterpret_cast<detail::erased_function>(&answer));
  CHECK_FALSE(identity::is_registered_entry(not_entry));
}
