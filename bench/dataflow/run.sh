#!/usr/bin/env bash
# Runs every dataflow benchmark at one scale: the baselines' self-check, the framework against the
# single-threaded baselines (2 workers and 1), and Dask bag against the same baselines where
# Debian's python3-dask is installed ("dask: not installed" otherwise).
#
#   bench/dataflow/run.sh [SCALE [DASK_SCALE]]      defaults 1.0 (the issue's full sizes) and 0.05
#
# Dask runs at its own, smaller scale: at full scale its Python per-element work takes tens of
# minutes; its ratio is against the baseline timed at that same scale. BUILD_DIR (default
# build-bench) is a configured Release build directory. Exits 1 when any result differs from its
# baseline (a MISMATCH line says which).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build-bench}
scale=${1:-1.0}
dask_scale=${2:-0.05}

cmake --build "$build" --target dataflow_baselines
if cmake --build "$build" --target help | grep -q '^dataflow_bench:'; then
  cmake --build "$build" --target dataflow_bench
  have_framework=1
else
  echo "dataflow_bench: not configured (no constellation::dataflow target in this tree)"
  have_framework=0
fi

status=0
"$build/bench/dataflow/dataflow_baselines/dataflow_baselines" --scale "$dask_scale" --dask || status=1
# One process per workload and worker count: each figure starts from a fresh job, and its peak
# memory is its own.
if [[ $have_framework == 1 ]]; then
  for workload in empty_job word_count sort join page_rank k_means narrow_chain; do
    for workers in 2 1; do
      [[ $workload == empty_job && $workers == 1 ]] && continue
      "$build/bench/dataflow/dataflow_bench/dataflow_bench" --scale "$scale" --workers "$workers" \
        "$workload" || status=1
    done
  done
fi
exit $status
