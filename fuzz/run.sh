#!/usr/bin/env bash
# Runs every fuzzer of build-fuzz/ (or those named) for FUZZ_SECONDS each, one after another.
#
#   fuzz/run.sh [NAME...]        FUZZ_SECONDS=600 by default; `make fuzz` and `make fuzz-short`
#
# Each starts from its committed corpus (fuzz/corpus/NAME, read only) and keeps what it learns in
# build-fuzz/corpus/NAME, so a later run goes on from there. A crash, a sanitizer report, a hang
# (FUZZ_TIMEOUT seconds for one input) or an allocation over FUZZ_MALLOC_MB stops that fuzzer,
# leaves the input in build-fuzz/crashes/NAME/ and makes this script fail once all have run.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-600}
build=${FUZZ_BUILD_DIR:-build-fuzz}
# Inputs are short (-max_len), so a codec that asks for more than this is allocating on the say-so
# of a length field, not for the bytes it was given.
malloc_mb=${FUZZ_MALLOC_MB:-64}
names=("$@")
if [[ ${#names[@]} -eq 0 ]]; then
  for f in "$build"/fuzz/*_fuzzer; do names+=("$(basename "$f" _fuzzer)"); done
fi

export ASAN_OPTIONS=halt_on_error=1:detect_leaks=${DETECT_LEAKS:-1}:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

failed=()
for name in "${names[@]}"; do
  learned="$build/corpus/$name"
  crashes="$build/crashes/$name"
  mkdir -p "$learned" "$crashes"
  start=$SECONDS
  "$build/fuzz/${name}_fuzzer" -max_total_time="$seconds" -timeout="${FUZZ_TIMEOUT:-10}" \
      -malloc_limit_mb="$malloc_mb" -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
      -artifact_prefix="$crashes/" "$learned" "fuzz/corpus/$name" >"$build/$name.log" 2>&1
  rc=$?
  stats=$(grep -E '^stat::number_of_executed_units|^stat::new_units_added' "$build/$name.log" | tr '\n' ' ')
  echo "fuzz $name: exit $rc after $((SECONDS - start)) s; $stats"
  if [[ $rc -ne 0 ]]; then
    failed+=("$name")
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$build/$name.log" | head -5
  fi
done

if [[ ${#failed[@]} -ne 0 ]]; then
  echo "fuzz: found problems in ${failed[*]}; the logs are $build/NAME.log, the inputs in $build/crashes/" >&2
  exit 1
fi
echo "fuzz: ${#names[@]} fuzzers, no problem found"
