// text_file's input: splitting files into partitions, and reading a range's lines with the next
// chunk already on its way from the disk.
//
// Reading ahead goes through libuv's thread pool (uv_fs_read with a callback): while a task splits
// and processes one chunk, a pool thread reads the next. libuv is used here for its file API only;
// its loop is private to the reading call and runs only to wait for a read, so it is no second
// event loop beside the runtime's.

#include <constellation/dataflow/codec.hpp>
#include <constellation/dataflow/options.hpp>
#include <constellation/dataflow/text_input.hpp>

#include <uv.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <system_error>

namespace constellation::dataflow::detail {

namespace fs = std::filesystem;

namespace {

struct input_file {
  std::string path;
  std::uint64_t size = 0;
};

std::vector<input_file> list_input(const std::string& path) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status))
    throw job_error("dataflow: text_file: " + path + ": no such file or directory");
  std::vector<input_file> files;
  if (fs::is_regular_file(status)) {
    files.push_back({path, fs::file_size(path, ec)});
  } else if (fs::is_directory(status)) {
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      const auto name = entry.path().filename().string();
      if (name.empty() || name[0] == '.' || name[0] == '_')
        continue;  // as Hadoop and Spark skip them
      if (!entry.is_regular_file()) continue;
      files.push_back({entry.path().string(), entry.file_size()});
    }
    if (ec) throw job_error("dataflow: text_file: cannot list " + path + ": " + ec.message());
    std::sort(files.begin(), files.end(),
              [](const auto& a, const auto& b) { return a.path < b.path; });
  } else {
    throw job_error("dataflow: text_file: " + path + " is neither a regular file nor a directory");
  }
  if (ec) throw job_error("dataflow: text_file: cannot read " + path + ": " + ec.message());
  return files;
}

constexpr std::size_t chunk_bytes = 1 << 20;

// One file open for reading, with one read in flight on libuv's pool.
class read_ahead {
 public:
  explicit read_ahead(const std::string& path) : path_(path) {
    if (int rc = uv_loop_init(&loop_); rc < 0) fail("uv_loop_init", rc);
    uv_fs_t open_request;
    const int fd = uv_fs_open(nullptr, &open_request, path.c_str(), UV_FS_O_RDONLY, 0, nullptr);
    uv_fs_req_cleanup(&open_request);
    if (fd < 0) {
      uv_loop_close(&loop_);
      fail("open", fd);
    }
    file_ = fd;
  }
  ~read_ahead() {
    if (in_flight_) wait();
    uv_fs_t close_request;
    uv_fs_close(nullptr, &close_request, file_, nullptr);
    uv_fs_req_cleanup(&close_request);
    uv_loop_close(&loop_);
  }
  read_ahead(const read_ahead&) = delete;
  read_ahead& operator=(const read_ahead&) = delete;

  void start(char* into, std::size_t n, std::uint64_t offset) {
    buffer_ = uv_buf_init(into, static_cast<unsigned>(n));
    request_.data = this;
    const int rc =
        uv_fs_read(&loop_, &request_, file_, &buffer_, 1, static_cast<std::int64_t>(offset),
                   [](uv_fs_t* r) { static_cast<read_ahead*>(r->data)->result_ = r->result; });
    if (rc < 0) fail("read", rc);
    in_flight_ = true;
  }
  // Bytes read by the read in flight (0 at the end of the file).
  std::size_t wait() {
    uv_run(&loop_, UV_RUN_DEFAULT);
    in_flight_ = false;
    uv_fs_req_cleanup(&request_);
    if (result_ < 0) fail("read", static_cast<int>(result_));
    return static_cast<std::size_t>(result_);
  }

 private:
  [[noreturn]] void fail(const char* what, int rc) const {
    throw std::runtime_error(std::string("text_file: ") + what + " " + path_ + ": " +
                             uv_strerror(rc));
  }
  std::string path_;
  uv_loop_t loop_{};
  uv_file file_ = -1;
  uv_fs_t request_{};
  uv_buf_t buffer_{};
  ssize_t result_ = 0;
  bool in_flight_ = false;
};

}  // namespace

std::vector<std::vector<file_range>> split_text_input(const std::string& path,
                                                      std::size_t partitions) {
  const auto files = list_input(path);
  std::uint64_t total = 0;
  for (const auto& f : files) total += f.size;
  std::vector<std::vector<file_range>> splits(std::max<std::size_t>(partitions, 1));
  // Partition p covers global bytes [total * p / n, total * (p + 1) / n), cut at file boundaries.
  std::uint64_t file_start = 0;
  std::size_t file = 0;
  for (std::size_t p = 0; p < splits.size(); ++p) {
    const auto begin =
        static_cast<std::uint64_t>((static_cast<uint128>(total) * p) / splits.size());
    const auto end =
        static_cast<std::uint64_t>((static_cast<uint128>(total) * (p + 1)) / splits.size());
    while (file < files.size() && file_start + files[file].size <= begin)
      file_start += files[file++].size;
    auto at = begin;
    std::size_t f = file;
    std::uint64_t f_start = file_start;
    while (at < end && f < files.size()) {
      const auto in_file_end = std::min(end, f_start + files[f].size);
      if (in_file_end > at)
        splits[p].push_back({files[f].path, at - f_start, in_file_end - f_start});
      at = in_file_end;
      if (at == f_start + files[f].size) f_start += files[f++].size;
    }
  }
  return splits;
}

void read_lines(const file_range& range, function_ref<void(std::string_view)> line,
                function_ref<bool()> stop_requested) {
  if (range.end <= range.begin) return;
  // The buffers outlive the reader: its destructor waits for a read still writing into one.
  auto current = std::make_unique<char[]>(chunk_bytes);
  auto next = std::make_unique<char[]>(chunk_bytes);
  read_ahead file(range.path);
  // Start one byte early: if that byte is not '\n', the range begins inside a line that belongs to
  // the range before it, which is skipped.
  std::uint64_t offset = range.begin > 0 ? range.begin - 1 : 0;
  bool skipping = range.begin > 0;
  std::uint64_t line_start = offset;  // file offset of the first byte of carry
  std::string carry;
  file.start(current.get(), chunk_bytes, offset);
  std::size_t n = file.wait();
  auto emit = [&](std::string_view text) {
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    line(text);
  };
  while (n > 0) {
    const std::uint64_t chunk_offset = offset;
    offset += n;
    file.start(next.get(), chunk_bytes, offset);  // the next chunk comes while this one is split
    const char* data = current.get();
    std::size_t at = 0;
    if (skipping) {
      const void* newline = std::memchr(data, '\n', n);
      if (!newline) {
        n = file.wait();
        std::swap(current, next);
        continue;
      }
      at = static_cast<std::size_t>(static_cast<const char*>(newline) - data) + 1;
      skipping = false;
      line_start = chunk_offset + at;
    }
    while (at < n) {
      if (carry.empty()) line_start = chunk_offset + at;
      if (line_start >= range.end) return;  // the rest belongs to the next range
      const void* newline = std::memchr(data + at, '\n', n - at);
      if (!newline) {
        carry.append(data + at, n - at);
        break;
      }
      const auto stop = static_cast<std::size_t>(static_cast<const char*>(newline) - data);
      if (carry.empty()) {
        emit(std::string_view(data + at, stop - at));
      } else {
        carry.append(data + at, stop - at);
        emit(carry);
        carry.clear();
      }
      at = stop + 1;
    }
    if (stop_requested()) return;
    n = file.wait();
    std::swap(current, next);
  }
  // The file's last line, without a '\n' after it.
  if (!carry.empty() && line_start < range.end) emit(carry);
}

}  // namespace constellation::dataflow::detail
