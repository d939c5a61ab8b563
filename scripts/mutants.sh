#!/usr/bin/env bash
# Mutation testing with cargo-mutants (docs/testing.md): each module where a silent bug does most
# harm, mutated one change at a time and tested with the tests aimed at it (the unit tests and the
# integration tests whose names match the group's filters). Prints the per-module table of
# docs/testing.md.
#
#   scripts/mutants.sh [--here] [--iterate] [GROUP...]   run (default: every group)
#   scripts/mutants.sh --table [GROUP...]                 print the table of the last runs
#
# cargo-mutants edits the source in place (--in-place: no copy of the tree and of target/, which
# keeps a mutant at one incremental build). So it runs in a throwaway git worktree of HEAD under
# target/mutants/tree, unless --here says the current tree is a clean checkout you can spare.
# Results: target/mutants/<group>/mutants.out (or $MUTANTS_OUT/<group>/...). --iterate tests again only what the last run of a
# group did not catch (after new tests); the first run is kept as mutants.out.first. Needs cargo-mutants 27 (`cargo install --locked
# cargo-mutants`) and, for the render tests among the filters, helm and kubectl.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out_root="${MUTANTS_OUT:-$root/target/mutants}"

# group | files (space-separated) | test-name filters (substrings, as libtest takes them)
groups() {
  cat <<'EOF'
sarif|src/report/sarif.rs|sarif several_outputs uris_are
formats|src/report/json.rs src/report/github.rs src/report/junit.rs|json_contract github junit several_outputs stdin_is_linted written_text read_only_files sarif_is_valid
config|src/config.rs|config exit_codes regrades fail_on published_schema
baseline|src/baseline.rs|baseline
suppress|src/suppress.rs|suppress kustomize_base_and_overlays
changed|src/changed.rs|changed hunks_become
EOF
}

table() {
  echo "| module | mutants | not tested | unviable | missed by the first run | missed now | caught now (of viable) |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  while IFS='|' read -r name files _; do
    [[ $# -gt 0 && " $* " != *" $name "* ]] && continue
    local dir="$out_root/$name"
    [[ -d $dir/mutants.out ]] || continue
    local args=()
    for f in $files; do args+=(--file "$f"); done
    cargo mutants --list "${args[@]}" < /dev/null > "$dir/listed.txt"
    python3 - "$dir" "$files" <<'PY'
import pathlib, sys
d, files = pathlib.Path(sys.argv[1]), sys.argv[2]
def lines(p):
    p = d / p
    return {l for l in p.read_text().splitlines() if l.strip()} if p.exists() else set()
listed = lines("listed.txt")
# The first full run, kept by --iterate (which then tests only what it left uncaught,
# and mutants whose line moved since).
first = "mutants.out.first" if (d / "mutants.out.first").is_dir() else "mutants.out"
outcomes = ("caught.txt", "missed.txt", "timeout.txt", "unviable.txt")
tested = set().union(*(lines(f"{first}/{o}") | lines(f"mutants.out/{o}") for o in outcomes), lines("mutants.out/previously_caught.txt")) & listed
unviable = (lines(f"{first}/unviable.txt") | lines("mutants.out/unviable.txt")) & listed
missed_first = lines(f"{first}/missed.txt") | lines(f"{first}/timeout.txt")
missed_now = (lines("mutants.out/missed.txt") | lines("mutants.out/timeout.txt")) & listed
viable = len(tested) - len(unviable)
caught = viable - len(missed_now)
pct = f"{100 * caught / viable:.0f} %" if viable else "-"
print(f"| `{files}` | {len(listed)} | {len(listed) - len(tested)} | {len(unviable)} | {len(missed_first)} | {len(missed_now)} | {caught} ({pct}) |")
PY
  done < <(groups)
}

here=0 iterate=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --table) shift; table "$@"; exit ;;
    --here) here=1; shift ;;
    --iterate) iterate=(--iterate); shift ;;
    *) break ;;
  esac
done
command -v cargo-mutants >/dev/null || { echo "cargo-mutants is not installed: cargo install --locked cargo-mutants" >&2; exit 2; }

tree=$root
if [[ $here == 0 ]]; then
  tree="$out_root/tree"
  git worktree remove --force "$tree" 2>/dev/null || true
  git worktree add --detach --quiet "$tree" HEAD
  trap 'git -C "$root" worktree remove --force "$tree"' EXIT
fi
cd "$tree"
while IFS='|' read -r name files filters; do
  [[ $# -gt 0 && " $* " != *" $name "* ]] && continue
  args=()
  for f in $files; do args+=(--file "$f"); done
  if [[ ${#iterate[@]} -gt 0 && -d $out_root/$name/mutants.out && ! -d $out_root/$name/mutants.out.first ]]; then
    cp -r "$out_root/$name/mutants.out" "$out_root/$name/mutants.out.first"
  fi
  started=$(date +%s)
  # shellcheck disable=SC2086 # the filters are words
  cargo mutants --in-place --baseline=skip --timeout 180 --build-timeout 900 --no-shuffle "${iterate[@]}" \
    --cargo-arg=--locked --cargo-arg=--lib --cargo-arg=--test --cargo-arg=main \
    --cargo-arg=--config=profile.test.package.kubectl-strategy.debug=0 \
    -o "$out_root/$name" "${args[@]}" -- -- $filters < /dev/null || true
  echo "$name: $(( $(date +%s) - started )) s"
done < <(groups)
cd "$root"
table "$@"
