#!/usr/bin/env bash
# Records every user-visible output of trainplan on the project's own inputs, so that a refactor
# can show it changed nothing (issue 16, "Done when": byte-identical before and after).
#
#   scripts/snapshot.sh OUT_DIR [BIN_DIR]       # BIN_DIR defaults to build/bin
#   git stash; scripts/snapshot.sh /tmp/before; git stash pop   # (or a worktree at the base commit)
#   scripts/snapshot.sh /tmp/after && diff -r /tmp/before /tmp/after && echo identical
#
# What it records, one file per command (stdout, then stderr and the exit status):
#   validate --json on configs/validation/public-runs.json;
#   predict --json, simulate --json and export --json of every format, with the files written,
#     for every job in configs/examples/ and tests/export-check/variants/;
#   plan --json (and --csv) for every plan problem in configs/examples/, and plan --json --exhaustive;
#   sweep --json for every sweep in configs/examples/.
# Wall-clock figures are not printed (no --timings) and progress bars are dropped, so the outputs
# are deterministic.
set -u
out=${1:?usage: scripts/snapshot.sh OUT_DIR [BIN_DIR]}
bin=${2:-build/bin}
root=$(cd "$(dirname "$0")/.." && pwd)
tp="$bin/trainplan"
[ -x "$tp" ] || { echo "snapshot.sh: $tp is not an executable (build first: scripts/setup.sh --no-run)" >&2; exit 2; }
mkdir -p "$out"

# run NAME CMD...: stdout to NAME.out, stderr and the exit status to NAME.err.
run() {
  local name=$1; shift
  "$@" >"$out/$name.out" 2>"$out/$name.err.raw"
  local rc=$?
  # Progress bars depend on thread timing: drop them.
  grep -av '^\[[# ]*\] *[0-9]*%' "$out/$name.err.raw" >"$out/$name.err"
  rm -f "$out/$name.err.raw"
  echo "exit $rc" >>"$out/$name.err"
}

kind() {  # job | problem | sweep, from the file's top-level keys
  python3 - "$1" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
print("sweep" if "jobs" in d else "job" if "plan" in d else "problem")
EOF
}

run validate "$tp" validate --json "$root/configs/validation/public-runs.json"
for f in "$root"/configs/examples/*.json "$root"/tests/export-check/variants/*.json; do
  n=$(basename "$f" .json)
  case $(kind "$f") in
    job)
      run "$n.predict" "$tp" predict --json "$f"
      run "$n.simulate" "$tp" simulate --json "$f"
      for fmt in megatron deepspeed torchtitan nemo; do
        rm -rf "$out/$n.export-$fmt"
        run "$n.export-$fmt" "$tp" export --json --format "$fmt" -o "$out/$n.export-$fmt" "$f"
      done
      ;;
    problem)
      run "$n.plan" "$tp" plan --json --csv "$out/$n.plan.csv" "$f"
      run "$n.plan-exhaustive" "$tp" plan --json --exhaustive --top 50 "$f"
      ;;
    sweep)
      run "$n.sweep" "$tp" sweep --json "$f"
      ;;
  esac
done
# Output paths are the snapshot folder's: make them relative so two folders compare equal.
grep -rl -- "$out" "$out" 2>/dev/null | while read -r g; do sed -i "s#$out#OUT#g" "$g"; done
echo "snapshot.sh: $(find "$out" -type f | wc -l) files in $out"
