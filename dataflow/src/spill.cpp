#include <constellation/dataflow/spill.hpp>

#include <fcntl.h>
#include <linux/falloc.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace constellation::dataflow::detail {

namespace {
std::string spill_directory() {
  for (const char* name : {"CONSTELLATION_SPILL_DIR", "TMPDIR"})
    if (const char* value = std::getenv(name); value && *value) return value;
  return "/tmp";
}
}  // namespace

spill_file::spill_file() {
  const auto directory = spill_directory();
  fd_ = ::open(directory.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd_ < 0)
    throw std::runtime_error("dataflow: cannot create a spill file in " + directory + ": " +
                             std::strerror(errno) +
                             " (set CONSTELLATION_SPILL_DIR to a writable local directory)");
}

spill_file::~spill_file() {
  if (fd_ >= 0) ::close(fd_);
}

std::uint64_t spill_file::append(std::string_view bytes) {
  const auto offset = __atomic_fetch_add(&end_, bytes.size(), __ATOMIC_RELAXED);
  std::size_t done = 0;
  while (done < bytes.size()) {
    const auto n =
        ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw std::runtime_error(std::string("dataflow: writing a spill file failed: ") +
                               std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
  return offset;
}

void spill_file::read(std::uint64_t offset, std::size_t size, std::string& out) const {
  out.resize(size);
  std::size_t done = 0;
  while (done < size) {
    const auto n = ::pread(fd_, out.data() + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw std::runtime_error(std::string("dataflow: reading a spill file failed: ") +
                               (n == 0 ? "it ended early" : std::strerror(errno)));
    done += static_cast<std::size_t>(n);
  }
}

void spill_file::release(std::uint64_t offset, std::size_t size) {
  // Best effort: a file system without hole punching keeps the space until the file closes.
  (void)::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                    static_cast<off_t>(size));
}

std::uint64_t spill_file::size() const {
  return __atomic_load_n(&end_, __ATOMIC_RELAXED);
}

void run_writer::flush() {
  if (frame_.size() <= sizeof(std::uint32_t)) return;
  const auto length = static_cast<std::uint32_t>(frame_.size() - sizeof(std::uint32_t));
  std::memcpy(frame_.data(), &length, sizeof length);
  const auto offset = file_.append(frame_);
  if (begin_ == ~std::uint64_t(0)) begin_ = offset;
  end_ = offset + frame_.size();
  frame_.clear();  // its room serves the next frame
}

std::pair<std::uint64_t, std::uint64_t> run_writer::finish() {
  flush();
  if (begin_ == ~std::uint64_t(0)) return {0, 0};
  return {begin_, end_};
}

bool run_reader::next_frame(std::string& out) {
  if (at_ >= end_) return false;
  std::string length_bytes;
  file_.read(at_, sizeof(std::uint32_t), length_bytes);
  std::uint32_t length = 0;
  std::memcpy(&length, length_bytes.data(), sizeof length);
  file_.read(at_ + sizeof length, length, out);
  at_ += sizeof length + length;
  return true;
}

}  // namespace constellation::dataflow::detail
