#!/usr/bin/env bash
# CLI contract checks: exit codes, --json prints one JSON document and nothing else on stdout,
# deterministic output, errors name file and JSON path. Usage: cli_test.sh BIN_DIR SOURCE_DIR
set -u
bin="$1/trainplan"; src="$2"; tmp=$(mktemp -d); fail=0; pass=0
check() { if eval "$2"; then pass=$((pass+1)); else echo "FAIL: $1"; fail=$((fail+1)); fi; }
"$bin" --version | grep -q '^trainplan ' ; check "--version" '[ $? -eq 0 ]'
"$bin" predict --help > /dev/null; check "predict --help" '[ $? -eq 0 ]'
"$bin" predict "$src/configs/examples/gpt3-175b-a100-1024.json" --json > "$tmp/a.json"; rc=$?
check "predict exit 0" '[ $rc -eq 0 ]'
check "predict stdout is one JSON document" 'python3 -c "import json,sys; d=json.load(open(\"$tmp/a.json\")); assert d[\"feasible\"] and d[\"step_time_s\"] > 0 and len(d[\"memory_gib_per_stage\"]) == 8"'
"$bin" predict "$src/configs/examples/gpt3-175b-a100-1024.json" --json > "$tmp/b.json"
check "predict deterministic" 'cmp -s "$tmp/a.json" "$tmp/b.json"'
nonfinite() { python3 -c "import json,sys
def bad(c): raise SystemExit(1)
json.load(open(sys.argv[1]), parse_constant=bad)" "$1"; }
check "no NaN or infinity" 'nonfinite "$tmp/a.json"'
echo '{"model": "gpt3-175b", "cluster": {"base": "dgx-a100-superpod", "nodes": 1}, "training": {"global_batch": 8, "sequence_length": 2048, "precision": "bf16"}, "plan": {"tp": 8, "dp": 1}}' > "$tmp/oom.json"
"$bin" predict "$tmp/oom.json" --json > "$tmp/oom.out"; rc=$?
check "infeasible exit 1" '[ $rc -eq 1 ]'
check "infeasible says why" 'grep -q out_of_memory "$tmp/oom.out"'
echo '{"model": "gpt3-175b", "cluster": "dgx-a100-superpod", "training": {"global_batch": 8, "sequence_length": 2048, "precision": "bf16"}, "plan": {"tp": 8, "dp": 1, "bogus": 1}}' > "$tmp/bad.json"
"$bin" predict "$tmp/bad.json" > "$tmp/bad.out" 2> "$tmp/bad.err"; rc=$?
check "bad input exit 2" '[ $rc -eq 2 ]'
check "bad input names file and path" 'grep -q "bad.json:/plan/bogus: unknown key" "$tmp/bad.err"'
check "bad input prints nothing on stdout" '[ ! -s "$tmp/bad.out" ]'
"$bin" validate "$src/configs/validation/public-runs.json" --json > "$tmp/v.json"; rc=$?
check "validate exit 0" '[ $rc -eq 0 ]'
check "validate report schema" 'python3 -c "import json; d=json.load(open(\"$tmp/v.json\")); assert d[\"schema\"]==\"trainplan-validation-report/1\" and d[\"summary\"][\"rows\"]==58"'
for f in "$src"/configs/examples/*.json; do
  case "$f" in *plan*|*sweep*) continue;; esac
  "$bin" predict "$f" --json > "$tmp/e.json"; rc=$?
  check "example $(basename "$f") predicts (exit 0/1)" '[ $rc -le 1 ]'
  check "example $(basename "$f") has no NaN" 'nonfinite "$tmp/e.json"'
done
rm -rf "$tmp"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
