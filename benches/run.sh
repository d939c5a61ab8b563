#!/usr/bin/env bash
# Benchmarks (docs/performance.md): prints wall time, peak memory, and the ratio
# to a parse-only pass with the same YAML parser. Uses only cargo, python3
# and GNU time; hyperfine is used for the small-file case when installed.
#
#   benches/run.sh            # 10k and 100k generated objects, the real-world corpus, one big file (human vs json), one small file
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet --bin kubectl-strategy --example gen_corpus --example parse_only
BIN=target/release/kubectl-strategy
WORK=${BENCH_DIR:-$(mktemp -d)}
RUNS=${RUNS:-3}

target/release/examples/gen_corpus "$WORK/c10k" 10000 5
target/release/examples/gen_corpus "$WORK/c100k" 100000 5

# median wall seconds, max RSS (MB) and fastest wall seconds of RUNS runs of a command
measure() {
  python3 - "$RUNS" "$@" <<'PY'
import statistics, subprocess, sys, time, resource, os
runs = int(sys.argv[1]); cmd = sys.argv[2:]
walls, rss = [], []
for _ in range(runs):
    t = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    walls.append(time.perf_counter() - t)
    rss.append(int(p.stderr.strip().splitlines()[-1]) / 1024)
print(f"{statistics.median(walls):.3f} {max(rss):.0f} {min(walls):.3f}")
PY
}

report() { # name, lint-dir
  read -r lint_s lint_mb lint_min < <(measure "$BIN" lint "$2" -o json --fail-on never)
  read -r parse_s parse_mb parse_min < <(measure target/release/examples/parse_only "$2")
  ratio=$(python3 -c "print(f'{$lint_s/$parse_s:.2f}')")
  printf '%-28s lint %6.3f s (min %.3f) %5.0f MB | parse-only %6.3f s (min %.3f) | ratio %s\n' \
    "$1" "$lint_s" "$lint_min" "$lint_mb" "$parse_s" "$parse_min" "$ratio"
}
uptime

report "10,000 objects ($(du -sh "$WORK/c10k" | cut -f1))" "$WORK/c10k"
report "100,000 objects ($(du -sh "$WORK/c100k" | cut -f1))" "$WORK/c100k"
if [ -d ../shared/corpus/real-world ]; then
  report "real-world corpus" ../shared/corpus/real-world
fi
# One big file full of findings (the example, 13,334 times, renamed): human
# output renders a window around each finding, so it must stay close to JSON
# (it was quadratic: each finding handed the whole file to the renderer).
python3 - "$WORK/one-big.yaml" 13334 <<'PY'
import sys
src = open("testdata/examples/shop.yaml").read()
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write(src.replace("api-status", f"api-status-{i}") + "---\n")
PY
read -r json_s json_mb _ < <(measure "$BIN" lint "$WORK/one-big.yaml" -o json --fail-on never)
read -r human_s human_mb _ < <(measure "$BIN" lint "$WORK/one-big.yaml" -o human --fail-on never)
printf '%-28s json %6.3f s %5.0f MB | human %6.3f s %5.0f MB | ratio %s\n' "one file, 40,002 objects" \
  "$json_s" "$json_mb" "$human_s" "$human_mb" "$(python3 -c "print(f'{$human_s/$json_s:.2f}')")"
read -r small_s small_mb _ < <(RUNS=20 measure "$BIN" lint testdata/examples/clean.yaml)
printf '%-28s lint %6.3f s %5.0f MB\n' "one small file" "$small_s" "$small_mb"
# One named file beside the big one (as pre-commit names it): the neighbour
# is context, read only for what the cross-object rules need, and bounded.
mkdir -p "$WORK/beside" && cp "$WORK/one-big.yaml" "$WORK/beside/big.yaml" && cp testdata/examples/clean.yaml "$WORK/beside/api.yaml"
read -r beside_s beside_mb _ < <(RUNS=20 measure "$BIN" lint "$WORK/beside/api.yaml")
printf '%-28s lint %6.3f s %5.0f MB\n' "small file beside the big" "$beside_s" "$beside_mb"
# Instructions (callgrind) for the 10k corpus on one thread: a number that a
# busy machine does not blur; the same for the parse-only pass, and their ratio.
if command -v valgrind >/dev/null; then
  instructions() { # log file, command...
    local log=$1; shift
    RAYON_NUM_THREADS=1 valgrind --tool=callgrind --callgrind-out-file="$log.out" "$@" >/dev/null 2>"$log"
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$log"
  }
  ir=$(instructions "$WORK/callgrind.log" "$BIN" lint "$WORK/c10k" -o json --fail-on never)
  ir_parse=$(instructions "$WORK/callgrind-parse.log" target/release/examples/parse_only "$WORK/c10k")
  printf '%-28s %s instructions (callgrind, 1 thread; profile: %s) | parse-only %s | ratio %s\n' "10,000 objects" \
    "$(python3 -c "print(f'{$ir:,}')")" "$WORK/callgrind.log.out" "$(python3 -c "print(f'{$ir_parse:,}')")" \
    "$(python3 -c "print(f'{$ir/$ir_parse:.2f}')")"
fi
if command -v hyperfine >/dev/null; then
  hyperfine --warmup 3 -N "$BIN lint testdata/examples/clean.yaml"
fi
