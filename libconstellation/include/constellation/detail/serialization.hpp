#pragma once
// cereal binary encoding of values, with the standard types most programs send.

#include <constellation/detail/bytes_input_archive.hpp>
#include <constellation/detail/message_parts.hpp>

#include <cereal/archives/binary.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/chrono.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/memory.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/tuple.hpp>
#include <cereal/types/unordered_map.hpp>
#include <cereal/types/unordered_set.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>

#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>

namespace constellation::detail {

template <class T>
inline constexpr bool is_serializable =
    cereal::traits::is_output_serializable<T, cereal::BinaryOutputArchive>::value&&
        cereal::traits::is_input_serializable<T, bytes_input_archive>::value;

// A stream buffer that appends to a string: serializing into it copies each byte once. Given a
// message to fill, it leaves blocks of borrow_threshold bytes or more where they are (cereal
// writes a contiguous container's elements in one call) and records where they belong.
class string_sink : public std::streambuf {
 public:
  void retarget(std::string& out) {
    out_ = &out;
    message_ = nullptr;
  }
  void retarget(outgoing_message& message) {
    out_ = &message.bytes;
    message_ = &message;
  }

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    const auto size = static_cast<std::size_t>(n);
    if (message_ && size >= borrow_threshold) {
      message_->borrowed.push_back({out_->size(), s, size});
      message_->borrowed_size += size;
      return n;
    }
    out_->append(s, size);
    return n;
  }
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof()))
      out_->push_back(traits_type::to_char_type(c));
    return traits_type::not_eof(c);
  }

 private:
  std::string* out_ = nullptr;
  outgoing_message* message_ = nullptr;
};

// One output stream per thread: constructing a std::ostream copies a std::locale, which costs more
// than serializing a small message. (Decoding needs no stream: bytes_input_archive reads memory.)
struct thread_streams {
  string_sink sink;
  std::ostream out{&sink};
  bool busy = false;  // a serialize() inside a serialize() gets a fresh stream
};
inline thread_streams& streams_of_this_thread() {
  thread_local thread_streams streams;
  return streams;
}

template <class T>
void serialize_into(std::ostream& out, const T& value) {
  cereal::BinaryOutputArchive archive(out);
  archive(value);
}

// Appends value's encoding to out (a string, or an outgoing_message that borrows large blocks).
template <class T, class Out>
void append_serialized(Out& out, const T& value) {
  auto& streams = streams_of_this_thread();
  if (streams.busy) {
    string_sink sink;
    sink.retarget(out);
    std::ostream stream(&sink);
    serialize_into(stream, value);
    return;
  }
  streams.busy = true;
  streams.sink.retarget(out);
  streams.out.clear();
  try {
    serialize_into(streams.out, value);
  } catch (...) {
    streams.busy = false;
    throw;
  }
  streams.busy = false;
}

template <class T>
std::string serialize_value(const T& value) {
  std::string bytes;
  append_serialized(bytes, value);
  return bytes;
}

// Throws cereal::Exception when the bytes end early or state a length they do not hold
// (bytes_input_archive.hpp); bytes left over after the value are ignored.
template <class T>
T deserialize_value(std::string_view bytes) {
  T value{};
  bytes_input_archive archive(bytes);
  archive(value);
  return value;
}

}  // namespace constellation::detail
