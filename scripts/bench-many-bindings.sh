#!/usr/bin/env bash
# Benchmark for issue 19 item 15: many bindings on one workload scale linearly.
# One command: scripts/bench-many-bindings.sh [RUNS]   (default 5 runs per measurement)
#
# examples/gen-many-bindings.rs writes one Deployment (two containers) with N bindings that map
# one environment variable each: servicebinding.io bindings (`spec`) or Service Binding Operator
# bindings in env mode (`sbo`). For each API, `render`, `check --format json` and
# `explain --format json --show-secrets` run at N=1000 and N=4000, alternately in one loop (so
# load from other processes hits both sizes alike); the figures are medians of wall time from
# bash's EPOCHREALTIME. The corpora are generated (deterministic) under $BENCH_DIR (default: a
# temporary directory, removed afterwards).
#
# Target: time(N=4000) ≤ 4.4 × time(N=1000) for every command and API. Exit status 1 when a
# target is missed. CALLGRIND=1 also counts the instructions of one run of each (valgrind's
# callgrind, if installed): a ratio free of the machine's load (linear work gives 4.0).
set -euo pipefail

runs=${1:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

cargo build --release --quiet --bin bindery --example gen-many-bindings
bin=$root/target/release/bindery
gen=$root/target/release/examples/gen-many-bindings

if [[ -n "${BENCH_DIR:-}" ]]; then
    dir=$BENCH_DIR
    mkdir -p "$dir"
else
    dir=$(mktemp -d)
    trap 'rm -rf "$dir"' EXIT
fi
for api in spec sbo; do
    for n in 1000 4000; do
        [[ -d $dir/$api$n ]] || "$gen" "$dir/$api$n" "$n" "$api"
    done
done

commands=("render" "check --format json" "explain --format json --show-secrets")

# run LABEL CMD... : one run; appends the wall time in ms to $dir/LABEL.txt
run() {
    local label=$1
    shift
    local t0 t1
    t0=$EPOCHREALTIME
    "$@" >/dev/null 2>"$dir/stderr.tmp" || {
        cat "$dir/stderr.tmp" >&2
        echo "bench: $label failed" >&2
        exit 2
    }
    t1=$EPOCHREALTIME
    awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f\n", (b - a) * 1000}' >>"$dir/$label.txt"
}

median() { # FILE
    sort -n "$1" | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

rm -f "$dir"/*.txt
# Warm the page cache and the binary; the corpora render cleanly.
for api in spec sbo; do
    "$bin" render "$dir/${api}1000" >/dev/null 2>"$dir/stderr.tmp"
    if [[ -s $dir/stderr.tmp ]]; then
        echo "bench: render of $api N=1000 printed diagnostics (the corpus should be clean):" >&2
        head -20 "$dir/stderr.tmp" >&2
    fi
done

for ((i = 0; i < runs; i++)); do
    for api in spec sbo; do
        for c in "${!commands[@]}"; do
            read -r -a cmd <<<"${commands[$c]}"
            run "$api-$c-1000" "$bin" "${cmd[@]}" "$dir/${api}1000"
            run "$api-$c-4000" "$bin" "${cmd[@]}" "$dir/${api}4000"
        done
    done
done

status=0
printf '%-5s %-40s %10s %10s %8s  %s\n' api command "N=1000" "N=4000" ratio target
for api in spec sbo; do
    for c in "${!commands[@]}"; do
        t1=$(median "$dir/$api-$c-1000.txt")
        t4=$(median "$dir/$api-$c-4000.txt")
        ratio=$(awk -v a="$t1" -v b="$t4" 'BEGIN {printf "%.2f", b / a}')
        verdict=$(awk -v r="$ratio" 'BEGIN {print (r <= 4.4) ? "met" : "MISSED"}')
        [[ $verdict == met ]] || status=1
        printf '%-5s %-40s %8s ms %8s ms %7sx  ≤ 4.4x: %s\n' "$api" "${commands[$c]}" "$t1" "$t4" "$ratio" "$verdict"
    done
done
if [[ -n "${CALLGRIND:-}" ]]; then
    printf '\n%-5s %-40s %14s %14s %8s\n' api command "instr N=1000" "instr N=4000" ratio
    for api in spec sbo; do
        for c in "${!commands[@]}"; do
            read -r -a cmd <<<"${commands[$c]}"
            counts=()
            for n in 1000 4000; do
                valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "${cmd[@]}" "$dir/$api$n" >/dev/null 2>"$dir/callgrind.tmp"
                counts+=("$(awk '/Collected/ {print $4}' "$dir/callgrind.tmp")")
            done
            ratio=$(awk -v a="${counts[0]}" -v b="${counts[1]}" 'BEGIN {printf "%.2f", b / a}')
            printf '%-5s %-40s %14s %14s %7sx\n' "$api" "${commands[$c]}" "${counts[0]}" "${counts[1]}" "$ratio"
        done
    done
fi
exit $status
