# Warnings are errors in the project's own code; targets opt in with constellation_warnings().
function(constellation_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wold-style-cast -Wcast-align -Wnull-dereference -Werror)
endfunction()
