#pragma once
// How `constellation-deploy jobs` and `kill` show their answers: a table or a line for people, one
// JSON object for programs. Pure functions over the master's replies.
//
//   JOB               STATE     PROCESSES  AGE    CLIENT           PROGRAM
//   3f2a9c01d4e5b677  running   3 of 5     2m 4s  127.0.0.1:40648  ./word_count /data/books
//   0b1c2d3e4f506172  finished  0 of 12    1h 2m  127.0.0.1:40602  ./sort  (exit 0)
//
//   {"jobs":[{"job":"3f2a9c01d4e5b677","state":"running","running":3,"processes":5,
//             "age_seconds":124.0,"client":"127.0.0.1:40648","argv":["./word_count","/data/books"],
//             "outcome":""}, ...]}
// AGE is how long ago a job started; an ended job's is when it started too, its run time in JSON
// ("run_seconds").

#include "wire/cluster_messages.hpp"

#include <string>

namespace constellation::deploy {

std::string format_jobs_table(const wire::jobs_reply& jobs);
std::string format_jobs_json(const wire::jobs_reply& jobs);

// "ending job 3f2a9c01d4e5b677\n", or {"ending":"3f2a9c01d4e5b677"}.
std::string format_kill_text(const wire::kill_job_reply& reply);
std::string format_kill_json(const wire::kill_job_reply& reply);

// "45s", "2m 4s", "1h 2m", "3d 4h": two units at most.
std::string format_duration(std::int64_t milliseconds);

}  // namespace constellation::deploy
