#pragma once
// Job-wide counters: figures a program counts as it runs (records read, requests served, bytes
// shuffled), summed over every process of the job. In a cluster the master serves each as
// constellation_job_<name>_total{job="<id>"} on its /metrics and shows it on its status page,
// for the job's life and a while after (the last 50 ended jobs). A local run keeps none.

#include <string_view>

namespace constellation {

// Adds amount to the job's counter name. Cheap: never waits for anyone; additions are summed in
// the process and leave at most once a second, and at exit. name: lower-case letters, digits and
// '_', starting with a letter, at most 64 characters, not ending in "_total" (the master adds
// it); a job has at most 64 names. Throws std::invalid_argument for another name or an amount
// that is negative or not a number, std::logic_error before init().
void add_to_counter(std::string_view name, double amount = 1);

}  // namespace constellation
