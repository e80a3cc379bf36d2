#pragma once
// Progress lines: a live status line per process, drawn by the bridge below the job's output.

#include <span>
#include <string_view>
#include <utility>

namespace constellation {

// A live status line of this process, shown by the bridge: on a terminal (human format, stderr a
// tty) it is drawn below the output as one line per reporting process, replaced by the next
// report and erased when the process calls clear_progress() or ends, never interleaved with the
// output lines (redrawn after printing output, as cargo or pv do). In JSON format each report is an
// event {"event":"progress","pid":"…","text":"…", <each figure as "name": number>}.
// Nothing is shown in human format when stderr is not a terminal.
// Cheap: never waits for the bridge; reports arriving faster than ~10 per second per process are
// coalesced (the latest wins; a clear is never lost). Throws std::logic_error before init().
void report_progress(std::string_view text,
                     std::span<const std::pair<std::string_view, double>> figures = {});
// Removes this process's line. Throws std::logic_error before init().
void clear_progress();

}  // namespace constellation
