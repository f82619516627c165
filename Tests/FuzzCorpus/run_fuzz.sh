#!/usr/bin/env bash
# Usage: Tests/FuzzCorpus/run_fuzz.sh BINARY RUNS [TARGET...]   (`make fuzz` calls it)
#
# Runs each fuzz target of BINARY (unargmax-fuzz built with -sanitize=fuzzer,address -DFUZZING) for RUNS
# inputs, starting from a copy of its seed corpus (Tests/FuzzCorpus/<target>) and of its regression inputs
# (Tests/FuzzRegressions/<target>), in a temporary folder that is removed afterwards: new inputs are not kept.
# A crash, a sanitizer report, a hang (-timeout) or running out of memory stops that target and saves
# the input in .build-fuzz/crashes/<target>-...; the script fails if any target did. Without TARGETs, all.
set -u
if [ $# -lt 2 ]; then
    echo "usage: $0 BINARY RUNS [TARGET...]" >&2
    exit 2
fi
binary=$1
runs=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(npy npz safetensors gguf pickle torchzip tokenizer vocabjson vocabtxt sentencepiece
    tiktoken marian config shardindex certjson certnpz journal)

# JSON readers get a dictionary of the keys they look for (libFuzzer cannot see Swift string comparisons).
dictionary() {
    case $1 in
        safetensors | tokenizer | vocabjson | config | shardindex | certjson | journal) echo "-dict=$here/json.dict" ;;
    esac
}

# Inputs up to a few KiB reach every header field and a few small tensors.
max_len() {
    case $1 in
        npy | npz | safetensors | gguf | pickle | torchzip | sentencepiece) echo 8192 ;;
        *) echo 4096 ;;
    esac
}

crashes=$root/.build-fuzz/crashes
mkdir -p "$crashes"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/unargmax-fuzz-run.XXXXXX") || exit 2
trap 'rm -rf -- "$scratch"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

failed=()
printf '%-14s %10s %8s %8s %s\n' target runs seconds corpus result
for target in "${targets[@]}"; do
    corpus=$scratch/$target
    mkdir -p "$corpus" "$scratch/tmp-$target"
    cp "$here/$target"/* "$corpus"/ 2>/dev/null
    cp "$root/Tests/FuzzRegressions/$target"/* "$corpus"/ 2>/dev/null
    log=$scratch/$target.log
    start=$(date +%s%N)
    TMPDIR=$scratch/tmp-$target UNARGMAX_FUZZ_TARGET=$target LSAN_OPTIONS=suppressions=$here/lsan-suppressions.txt \
        "$binary" -runs="$runs" -max_len="$(max_len "$target")" $(dictionary "$target") \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$crashes/$target-" "$corpus" >"$log" 2>&1
    status=$?
    milliseconds=$(( ($(date +%s%N) - start) / 1000000 ))
    executed=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    result=ok
    if [ $status -ne 0 ]; then
        result="FAILED (exit $status): $(grep -m1 -E 'ERROR|SUMMARY|deadly|Fatal error|timeout' "$log")"
        failed+=("$target")
        cp "$log" "$crashes/$target.log"
    fi
    printf '%-14s %10s %6d.%d %8s %s\n' "$target" "${executed:-?}" $((milliseconds / 1000)) $((milliseconds % 1000 / 100)) "$(ls "$corpus" | wc -l)" "$result"
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzzing failed: ${failed[*]} (inputs and logs in $crashes)" >&2
    exit 1
fi
