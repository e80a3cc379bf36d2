#pragma once
// A directory of the test's own, removed with everything in it at the end of the scope.

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace cluster_cli_test {

class temporary_directory {
 public:
  temporary_directory() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/cluster-cli-test-XXXXXX";
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~temporary_directory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  temporary_directory(const temporary_directory&) = delete;
  temporary_directory& operator=(const temporary_directory&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace cluster_cli_test
