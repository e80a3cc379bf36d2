#pragma once
// A table for a terminal: columns as wide as their widest cell, two spaces apart, no trailing
// blanks, each line ending in "\n".

#include <string>
#include <vector>

namespace constellation::deploy {

std::string format_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace constellation::deploy
