#!/usr/bin/env bash
# Benchmark for issue 7: `bindery render` against the serde_norway floor, linear scaling, peak
# memory. One command: scripts/bench.sh [RUNS]   (default 11 runs per measurement)
#
# Every comparison is measured alternately in the same loop (A, B, A, B, …) so that load from
# other processes hits both sides alike; the figures are medians. Wall time is taken with bash's
# EPOCHREALTIME, peak RSS with /usr/bin/time -f %M. The corpora are generated (deterministic)
# under $BENCH_DIR (default: a temporary directory, removed afterwards).
#
# Routes (issue 18): CLI render of a directory, `render -` (one stream on stdin), the KRM
# function (one ResourceList on stdin), `check`, `migrate` (the corpus, and the Operator-binding
# corpus at N=100 and N=400), repository mode (`check` of a kustomize repository: 10 overlays
# over a base of 20 apps, each overlay built with the real `kubectl kustomize`).
# Targets: render ≤ 0.5 × baseline on N=2000; time(N=4000) ≤ 4.2 × time(N=1000); peak RSS ≤ 6 ×
# input; `render -` and the KRM function ≤ 1.15 × render's time, peak RSS ≤ 8 × their input;
# migrate ≤ 2 × render on the corpus; migrate time(400) ≤ 4.4 × time(100) (Operator bindings);
# repository mode: bindery's share (its time less the same kustomize builds run by themselves)
# ≤ 1.15 × one `check -` of the built documents. kustomize takes ~40 times bindery's time per
# document, so the share is measured with a replaying kubectl (each build's output cached, then
# `cat`): repository mode with the replay less the replay by itself. The share with the real
# kustomize (wall and CPU time) is printed beside it; its noise is larger than the share.
# Exit status 1 when a target is missed. HYPERFINE=1 also runs hyperfine (if installed) as a
# cross-check (hyperfine does not alternate).
set -euo pipefail

runs=${1:-11}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

cargo build --release --quiet --bin bindery --example baseline --example gen-corpus
bin=$root/target/release/bindery
baseline=$root/target/release/examples/baseline
gen=$root/target/release/examples/gen-corpus

if [[ -n "${BENCH_DIR:-}" ]]; then
    dir=$BENCH_DIR
    mkdir -p "$dir"
else
    dir=$(mktemp -d)
    trap 'rm -rf "$dir"' EXIT
fi
for n in 1000 2000 4000; do
    [[ -d $dir/c$n ]] || "$gen" "$dir/c$n" "$n" 2>/dev/null
done
[[ -f $dir/l2000.yaml ]] || "$gen" "$dir/s2000" 2000 --stream "$dir/s2000.yaml" --resource-list "$dir/l2000.yaml" 2>/dev/null
for n in 100 400; do
    [[ -d $dir/o$n ]] || "$gen" "$dir/o$n" "$n" --operator 2>/dev/null
done
overlays=10
[[ -d $dir/repo ]] || "$gen" "$dir/repo" 20 --repo "$overlays" 2>/dev/null
# The floor of repository mode: the builds bindery runs (src/repo/kustomize.rs: a wrapper
# kustomization `resources: [ROOT]`, `buildMetadata: [originAnnotations]`, built with
# `kubectl kustomize WRAPPER`), run as bindery runs them (nproc at a time), by themselves.
rm -rf "$dir/wrap" "$dir/replay"
mkdir -p "$dir/wrap" "$dir/replay/cache"
for overlay in "$dir"/repo/overlays/*/; do
    env=$(basename "$overlay")
    mkdir -p "$dir/wrap/$env"
    printf 'resources:\n- ../../repo/overlays/%s\nbuildMetadata: [originAnnotations]\n' "$env" >"$dir/wrap/$env/kustomization.yaml"
    echo "$dir/wrap/$env"
done >"$dir/wrap.list"
# What bindery checks: the builds (origin annotations stripped), as one stream.
[[ -f $dir/repo-built.yaml ]] || for overlay in "$dir"/repo/overlays/*/; do
    echo ---
    kubectl kustomize "$overlay"
done >"$dir/repo-built.yaml"
# A kubectl that replays each wrapper's build (cached by the wrapper's text, which names the
# root relative to the wrapper: the same in every run).
cat >"$dir/replay/kubectl" <<'REPLAY'
#!/usr/bin/env bash
set -euo pipefail
wrapper=${!#}
cache=$REPLAY_CACHE/$(cksum <"$wrapper/kustomization.yaml" | tr ' ' _).yaml
[[ -f $cache ]] || kubectl kustomize "$wrapper" >"$cache"
exec cat "$cache"
REPLAY
chmod +x "$dir/replay/kubectl"
export REPLAY_CACHE=$dir/replay/cache

input_bytes() { find "$1" -type f -name '*.yaml' -printf '%s\n' | awk '{s += $1} END {print s}'; }

# run LABEL CMD... : one run; appends "wall_ms rss_kb" to $dir/LABEL.txt
run() {
    local label=$1
    shift
    local t0 t1
    t0=$EPOCHREALTIME
    local stdin=/dev/null
    if [[ $1 == "<" ]]; then
        stdin=$2
        shift 2
    fi
    /usr/bin/time -f '%M %U %S' -o "$dir/rss.tmp" "$@" <"$stdin" >/dev/null 2>"$dir/stderr.tmp" || {
        cat "$dir/stderr.tmp" >&2
        echo "bench: $label failed" >&2
        exit 2
    }
    t1=$EPOCHREALTIME
    # wall ms, peak RSS KB, CPU ms (user + system, children included)
    tail -1 "$dir/rss.tmp" | awk -v a="$t0" -v b="$t1" '{printf "%.1f %s %.0f\n", (b - a) * 1000, $1, ($2 + $3) * 1000}' >>"$dir/$label.txt"
}

median() { # FILE COLUMN
    sort -n -k"$2","$2" "$1" | awk -v c="$2" '{v[NR] = $c} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

rm -f "$dir"/*.txt
# Warm the page cache and the binaries.
for n in 1000 2000 4000; do
    "$bin" render "$dir/c$n" >/dev/null 2>"$dir/stderr.tmp"
    if [[ -s $dir/stderr.tmp ]]; then
        echo "bench: render of N=$n printed diagnostics (the corpus should be clean):" >&2
        head -20 "$dir/stderr.tmp" >&2
    fi
done
"$baseline" "$dir/c2000" >/dev/null 2>&1
if ! "$bin" check "$dir/repo" >"$dir/repo-check.txt" 2>&1 || grep -v '^== ' "$dir/repo-check.txt" | grep -qv ': 0 errors, 0 warnings in '; then
    echo "bench: check of the repository printed diagnostics (it should be clean):" >&2
    head -20 "$dir/repo-check.txt" >&2
fi
"$bin" check "$dir/repo" --kustomize-command "$dir/replay/kubectl" >/dev/null 2>&1
xargs -P "$(nproc)" -n 1 "$dir/replay/kubectl" kustomize <"$dir/wrap.list" >/dev/null

for ((i = 0; i < runs; i++)); do
    run render2000 "$bin" render "$dir/c2000"
    run baseline2000 "$baseline" "$dir/c2000"
    run render1000 "$bin" render "$dir/c1000"
    run render4000 "$bin" render "$dir/c4000"
    run stdin2000 "<" "$dir/s2000.yaml" "$bin" render -
    run render2000 "$bin" render "$dir/c2000"
    run krm2000 "<" "$dir/l2000.yaml" "$bin"
    run check2000 "$bin" check "$dir/c2000"
    run migrate2000 "$bin" migrate "$dir/c2000"
    run migrate100 "$bin" migrate "$dir/o100"
    run migrate400 "$bin" migrate "$dir/o400"
    run repo "$bin" check "$dir/repo"
    run repofloor "<" "$dir/wrap.list" xargs -P "$(nproc)" -n 1 kubectl kustomize
    run repobuilt "<" "$dir/repo-built.yaml" "$bin" check -
    run reporeplay "$bin" check "$dir/repo" --kustomize-command "$dir/replay/kubectl"
    run replayfloor "<" "$dir/wrap.list" xargs -P "$(nproc)" -n 1 "$dir/replay/kubectl" kustomize
done

r2=$(median "$dir/render2000.txt" 1)
b2=$(median "$dir/baseline2000.txt" 1)
r1=$(median "$dir/render1000.txt" 1)
r4=$(median "$dir/render4000.txt" 1)
rss2=$(median "$dir/render2000.txt" 2)
rss4=$(median "$dir/render4000.txt" 2)
brss2=$(median "$dir/baseline2000.txt" 2)
in2=$(input_bytes "$dir/c2000")
in4=$(input_bytes "$dir/c4000")

verdict() { if awk "BEGIN {exit !($1)}"; then echo PASS; else echo FAIL; fi; }

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1); $runs alternating runs, medians"
echo "input:   N=2000 $(find "$dir/c2000" -name '*.yaml' | wc -l) files, $in2 bytes; N=4000 $in4 bytes"
printf 'N=2000   render %8.1f ms   baseline %8.1f ms   ratio %.2f (target <= 0.50)  %s\n' \
    "$r2" "$b2" "$(awk -v a="$r2" -v b="$b2" 'BEGIN {print a / b}')" "$(verdict "$r2 <= 0.5 * $b2")"
printf 'scaling  N=1000 %8.1f ms   N=4000   %8.1f ms   ratio %.2f (target <= 4.20)  %s\n' \
    "$r1" "$r4" "$(awk -v a="$r4" -v b="$r1" 'BEGIN {print a / b}')" "$(verdict "$r4 <= 4.2 * $r1")"
printf 'peak RSS N=2000 %8.1f MB   (%.2f x input, baseline %.1f MB)  target <= 6x  %s\n' \
    "$(awk -v k="$rss2" 'BEGIN {print k / 1024}')" "$(awk -v k="$rss2" -v b="$in2" 'BEGIN {print k * 1024 / b}')" \
    "$(awk -v k="$brss2" 'BEGIN {print k / 1024}')" "$(verdict "$rss2 * 1024 <= 6 * $in2")"
printf 'peak RSS N=4000 %8.1f MB   (%.2f x input)  target <= 6x  %s\n' \
    "$(awk -v k="$rss4" 'BEGIN {print k / 1024}')" "$(awk -v k="$rss4" -v b="$in4" 'BEGIN {print k * 1024 / b}')" \
    "$(verdict "$rss4 * 1024 <= 6 * $in4")"

s2=$(median "$dir/stdin2000.txt" 1)
k2=$(median "$dir/krm2000.txt" 1)
c2=$(median "$dir/check2000.txt" 1)
m2=$(median "$dir/migrate2000.txt" 1)
m1=$(median "$dir/migrate100.txt" 1)
m4=$(median "$dir/migrate400.txt" 1)
srss=$(median "$dir/stdin2000.txt" 2)
krss=$(median "$dir/krm2000.txt" 2)
sin=$(stat -c %s "$dir/s2000.yaml")
kin=$(stat -c %s "$dir/l2000.yaml")
printf 'render - N=2000 %8.1f ms   (%.2f x render, target <= 1.15)  %s   peak RSS %.1f MB (%.2f x input, target <= 8)  %s\n' \
    "$s2" "$(awk -v a="$s2" -v b="$r2" 'BEGIN {print a / b}')" "$(verdict "$s2 <= 1.15 * $r2")" \
    "$(awk -v k="$srss" 'BEGIN {print k / 1024}')" "$(awk -v k="$srss" -v b="$sin" 'BEGIN {print k * 1024 / b}')" "$(verdict "$srss * 1024 <= 8 * $sin")"
printf 'KRM fn   N=2000 %8.1f ms   (%.2f x render, target <= 1.15)  %s   peak RSS %.1f MB (%.2f x input, target <= 8)  %s\n' \
    "$k2" "$(awk -v a="$k2" -v b="$r2" 'BEGIN {print a / b}')" "$(verdict "$k2 <= 1.15 * $r2")" \
    "$(awk -v k="$krss" 'BEGIN {print k / 1024}')" "$(awk -v k="$krss" -v b="$kin" 'BEGIN {print k * 1024 / b}')" "$(verdict "$krss * 1024 <= 8 * $kin")"
printf 'check    N=2000 %8.1f ms   (%.2f x render)\n' "$c2" "$(awk -v a="$c2" -v b="$r2" 'BEGIN {print a / b}')"
printf 'migrate  N=2000 %8.1f ms   (%.2f x render, target <= 2.00)  %s\n' "$m2" "$(awk -v a="$m2" -v b="$r2" 'BEGIN {print a / b}')" "$(verdict "$m2 <= 2 * $r2")"
printf 'migrate  Operator N=100 %8.1f ms  N=400 %8.1f ms  ratio %.2f (target <= 4.40)  %s\n' \
    "$m1" "$m4" "$(awk -v a="$m4" -v b="$m1" 'BEGIN {print a / b}')" "$(verdict "$m4 <= 4.4 * $m1")"

ra=$(median "$dir/repo.txt" 1)
rb=$(median "$dir/repofloor.txt" 1)
rc=$(median "$dir/repobuilt.txt" 1)
rac=$(median "$dir/repo.txt" 3)
rbc=$(median "$dir/repofloor.txt" 3)
rcc=$(median "$dir/repobuilt.txt" 3)
rrss=$(median "$dir/repo.txt" 2)
crss=$(median "$dir/repobuilt.txt" 2)
ya=$(median "$dir/reporeplay.txt" 1)
yb=$(median "$dir/replayfloor.txt" 1)
yrss=$(median "$dir/reporeplay.txt" 2)
printf 'repo     %d overlays %8.1f ms   kustomize alone %8.1f ms   check - of the builds %6.1f ms (%s docs)\n' \
    "$overlays" "$ra" "$rb" "$rc" "$(grep -c '^kind:' "$dir/repo-built.yaml")"
printf 'repo     share with kustomize: wall %6.1f ms (%.2f x check -), CPU %6.0f ms (%.2f x check -)  (info: the noise exceeds the share)\n' \
    "$(awk -v a="$ra" -v b="$rb" 'BEGIN {print a - b}')" "$(awk -v a="$ra" -v b="$rb" -v c="$rc" 'BEGIN {print (a - b) / c}')" \
    "$(awk -v a="$rac" -v b="$rbc" 'BEGIN {print a - b}')" "$(awk -v a="$rac" -v b="$rbc" -v c="$rcc" 'BEGIN {print (a - b) / (c > 0 ? c : 1)}')"
printf 'repo     share (replayed builds) %6.1f ms - %6.1f ms = %6.1f ms   (%.2f x check -, target <= 1.15)  %s\n' \
    "$ya" "$yb" "$(awk -v a="$ya" -v b="$yb" 'BEGIN {print a - b}')" "$(awk -v a="$ya" -v b="$yb" -v c="$rc" 'BEGIN {print (a - b) / c}')" \
    "$(verdict "$ya - $yb <= 1.15 * $rc")"
printf 'repo     peak RSS %.1f MB (kubectl kustomize included; replayed: bindery %.1f MB, check - %.1f MB)\n' \
    "$(awk -v k="$rrss" 'BEGIN {print k / 1024}')" "$(awk -v k="$yrss" 'BEGIN {print k / 1024}')" "$(awk -v k="$crss" 'BEGIN {print k / 1024}')"

status=0
awk "BEGIN {exit !($r2 <= 0.5 * $b2 && $r4 <= 4.2 * $r1 && $rss2 * 1024 <= 6 * $in2 && $rss4 * 1024 <= 6 * $in4)}" || status=1
awk "BEGIN {exit !($s2 <= 1.15 * $r2 && $k2 <= 1.15 * $r2 && $srss * 1024 <= 8 * $sin && $krss * 1024 <= 8 * $kin)}" || status=1
awk "BEGIN {exit !($m2 <= 2 * $r2 && $m4 <= 4.4 * $m1)}" || status=1
awk "BEGIN {exit !($ya - $yb <= 1.15 * $rc)}" || status=1

if [[ "${HYPERFINE:-}" == 1 ]] && command -v hyperfine >/dev/null; then
    hyperfine --warmup 2 --runs "$runs" -N \
        "$bin render $dir/c2000" "$baseline $dir/c2000"
fi
exit $status
