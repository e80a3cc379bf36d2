#pragma once
// Naming a function of this program so that another process of the same job can call it, the way
// spawn() names the function it starts: the function's offset in its loaded object and that
// object's GNU build-id (or content hash). Addresses differ between processes (ASLR); offsets
// within the same build do not, and a process of another build fails to resolve the name instead
// of jumping into the wrong code.
//
// A layer built on spawn and channels (a task scheduler, a dataflow engine) sends code_refs in its
// messages and resolves them in workers. Resolving proves only that the code is a function of this
// build; a layer that accepts names from peers should also check that the function is one it
// expects (a registry of its entry points), as spawn() does.

#include <cstdint>
#include <string>
#include <type_traits>

namespace constellation {

class code_ref {
 public:
  code_ref() = default;  // names nothing

  // Throws std::runtime_error when f is not code of a loaded object (code made at run time).
  template <class R, class... Args>
  static code_ref of(R (*f)(Args...)) {
    return code_ref(reinterpret_cast<void (*)()>(f));
  }

  // The function in this process. Throws std::runtime_error, naming the object, when this process
  // does not hold the same build or the offset is not code. Fp must be the type given to of().
  template <class Fp>
  requires std::is_pointer_v<Fp> && std::is_function_v<std::remove_pointer_t<Fp>> Fp resolve()
  const { return reinterpret_cast<Fp>(locate()); }

  explicit operator bool() const noexcept { return !object_id_.empty(); }
  friend bool operator==(const code_ref&, const code_ref&) = default;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(object_id_, object_name_, offset_);
  }

 private:
  explicit code_ref(void (*f)());
  void (*locate() const)();

  std::string object_id_;
  std::string object_name_;  // for error messages only
  std::uint64_t offset_ = 0;
};

}  // namespace constellation
