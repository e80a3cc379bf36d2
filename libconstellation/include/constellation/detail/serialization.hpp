#pragma once
// cereal binary encoding of values, with the standard types most programs send.

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

#include <cstring>
#include <istream>
#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>

namespace constellation::detail {

template <class T>
inline constexpr bool is_serializable =
    cereal::traits::is_output_serializable<T, cereal::BinaryOutputArchive>::value &&
    cereal::traits::is_input_serializable<T, cereal::BinaryInputArchive>::value;

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
    if (!traits_type::eq_int_type(c, traits_type::eof())) out_->push_back(traits_type::to_char_type(c));
    return traits_type::not_eof(c);
  }

 private:
  std::string* out_ = nullptr;
  outgoing_message* message_ = nullptr;
};

// A stream buffer reading a span of bytes, that can be pointed at the next one.
class bytes_source : public std::streambuf {
 public:
  void retarget(std::string_view bytes) {
    char* begin = const_cast<char*>(bytes.data());  // read only: never written through
    setg(begin, begin, begin + bytes.size());
  }

 protected:
  std::streamsize xsgetn(char* s, std::streamsize n) override {
    const std::streamsize available = egptr() - gptr();
    const std::streamsize taken = n < available ? n : available;
    if (taken > 0) std::memcpy(s, gptr(), static_cast<std::size_t>(taken));
    gbump(static_cast<int>(taken));
    return taken;
  }
};

// One stream per thread for each direction: constructing a std::ostream copies a std::locale,
// which costs more than serializing a small message.
struct thread_streams {
  string_sink sink;
  std::ostream out{&sink};
  bytes_source source;
  std::istream in{&source};
  bool busy = false;  // a serialize() inside a serialize() gets fresh streams
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

// Throws cereal::Exception when the bytes end early.
template <class T>
T deserialize_value(std::string_view bytes) {
  auto& streams = streams_of_this_thread();
  T value{};
  if (streams.busy) {
    bytes_source source;
    source.retarget(bytes);
    std::istream in(&source);
    cereal::BinaryInputArchive archive(in);
    archive(value);
    return value;
  }
  streams.busy = true;
  streams.source.retarget(bytes);
  streams.in.clear();
  try {
    cereal::BinaryInputArchive archive(streams.in);
    archive(value);
  } catch (...) {
    streams.busy = false;
    throw;
  }
  streams.busy = false;
  return value;
}

}  // namespace constellation::detail
