# e2e.progress_on_terminal: the human format draws progress lines when stderr is a terminal. The
# progress_events scenario runs under script(1), which gives it a pseudo-terminal; what the
# terminal received must hold the drawn lines and the sequences that erase them, and end with an
# exit line, every progress line erased. Run as cmake -DPROGRAM=<e2e_programs> -P <this>.
string(ASCII 27 esc)
set(erase_one "${esc}[1A\r${esc}[J")
execute_process(COMMAND script -qec "env -u CONSTELLATION_FORMAT ${PROGRAM} progress_events" /dev/null
                OUTPUT_VARIABLE shown RESULT_VARIABLE code TIMEOUT 30)
# The terminal turns each "\n" into "\r\n".
string(REPLACE "\r\n" "\n" shown "${shown}")
if(NOT code EQUAL 0)
  message(FATAL_ERROR "the program exited with ${code}:\n${shown}")
endif()
foreach(wanted IN ITEMS " working  done=1  total=3\n" " child step  items=42\n" "${erase_one}")
  string(FIND "${shown}" "${wanted}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the terminal did not get '${wanted}':\n${shown}")
  endif()
endforeach()
# Each line's last drawing is erased later: nothing of the progress is left on the screen.
foreach(line_end IN ITEMS "total=3\n" "items=42\n")
  string(FIND "${shown}" "${line_end}" last REVERSE)
  string(SUBSTRING "${shown}" ${last} -1 after)
  string(FIND "${after}" "A\r${esc}[J" erased)
  if(erased EQUAL -1)
    message(FATAL_ERROR "the line ending '${line_end}' is left on the screen:\n${shown}")
  endif()
endforeach()
if(NOT shown MATCHES "\\] exited(${esc}\\[0m)?\n$")
  message(FATAL_ERROR "the output does not end with an exit line:\n${shown}")
endif()
