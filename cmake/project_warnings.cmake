# Warnings are errors in the project's own code; targets opt in with constellation_warnings().
# Not -Wnull-dereference: at -O3 it fires inside inlined Boost.Asio code (false positives).
# -Wno-restrict: GCC 12 reports std::string appends at -O3 as overlapping memcpy (GCC PR 105329).
function(constellation_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wold-style-cast -Wcast-align -Wno-restrict -Werror)
endfunction()
