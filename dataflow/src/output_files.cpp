// save_text's files.

#include <constellation/dataflow/actions.hpp>
#include <constellation/dataflow/options.hpp>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace constellation::dataflow::detail {

namespace fs = std::filesystem;

void prepare_output_directory(const std::string& directory) {
  std::error_code ec;
  if (fs::exists(directory, ec)) {
    if (!fs::is_directory(directory, ec))
      throw job_error("dataflow: save_text: " + directory + " exists and is not a directory");
    if (!fs::is_empty(directory, ec))
      throw job_error("dataflow: save_text: " + directory +
                      " exists and is not empty; remove it or choose another directory");
    return;
  }
  fs::create_directories(directory, ec);
  if (ec) throw job_error("dataflow: save_text: cannot create " + directory + ": " + ec.message());
}

void write_part(const std::string& directory, std::size_t partition,
                function_ref<void(std::ostream&)> body) {
  char name[32];
  std::snprintf(name, sizeof name, "part-%05zu", partition);
  const fs::path final_path = fs::path(directory) / name;
  const fs::path temporary =
      fs::path(directory) / ("." + std::string(name) + "." + std::to_string(::getpid()));
  std::error_code ec;
  fs::create_directories(directory, ec);  // a worker on another node sees its own file system
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + temporary.string());
    body(out);
    out.flush();
    if (!out) throw std::runtime_error("writing " + temporary.string() + " failed");
  }
  fs::rename(temporary, final_path, ec);
  if (ec)
    throw std::runtime_error("cannot rename " + temporary.string() + " to " + final_path.string() +
                             ": " + ec.message());
}

}  // namespace constellation::dataflow::detail
