#!/usr/bin/env bash
# Writes what `lint` prints (json, human, sarif, github) for each folder of
# testdata/ and of the shared corpus into OUT, so that a refactoring can be
# checked to change no output: run it before and after, then `diff -r`.
#
#   scripts/outputs.sh BIN OUT [SHARED]     # SHARED defaults to ../shared
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${1:?binary}; OUT=${2:?output folder}; SHARED=${3:-../shared}
mkdir -p "$OUT"
targets=(testdata/*/ "$SHARED"/corpus/real-world/*/ "$SHARED"/corpus/peers/*/)
for t in "${targets[@]}"; do
  name=$(echo "${t%/}" | tr '/.' '__')
  for f in json human sarif github; do
    COLUMNS=100 "$BIN" lint "$t" -o "$f" --fail-on never --color never >"$OUT/$name.$f" 2>"$OUT/$name.$f.stderr"
    echo "exit $?" >>"$OUT/$name.$f.stderr"
  done
done
# Plans: a dry run of each strategy on the example.
for s in "recreate" "rolling" "blue-green --image api=x:2" "canary --weight 25 --image api=x:2"; do
  # shellcheck disable=SC2086
  "$BIN" apply $s deployment/api-status testdata/examples/shop.yaml >"$OUT/apply-${s%% *}.out" 2>"$OUT/apply-${s%% *}.err"
  echo "exit $?" >>"$OUT/apply-${s%% *}.err"
done
echo "wrote $(ls "$OUT" | wc -l) files to $OUT"
