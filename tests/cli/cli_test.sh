#!/usr/bin/env bash
# CLI contract checks: exit codes, --json prints one JSON document and nothing else on stdout,
# deterministic output, errors name file and JSON path. Usage: cli_test.sh BIN_DIR SOURCE_DIR
set -u
bin="$1/trainplan"; src="$2"; tmp=$(mktemp -d); fail=0; pass=0
check() { if eval "$2"; then pass=$((pass+1)); else echo "FAIL: $1"; fail=$((fail+1)); fi; }
"$bin" --version | grep -q '^trainplan ' ; check "--version" '[ $? -eq 0 ]'
for c in predict plan simulate export import validate sweep; do
  "$bin" $c --help > /dev/null; check "$c --help" '[ $? -eq 0 ]'
done
"$bin" predict "$src/configs/examples/gpt3-175b-a100-1024.json" --json > "$tmp/a.json"; rc=$?
check "predict exit 0" '[ $rc -eq 0 ]'
check "predict stdout is one JSON document" 'python3 -c "import json,sys; d=json.load(open(\"$tmp/a.json\")); assert d[\"feasible\"] and d[\"step_time_s\"] > 0 and len(d[\"memory_gib_per_stage\"]) == 8"'
"$bin" predict "$src/configs/examples/gpt3-175b-a100-1024.json" --json > "$tmp/b.json"
check "predict deterministic" 'cmp -s "$tmp/a.json" "$tmp/b.json"'
# Issue 17: Llama 3.1 405B (126 layers) at pp 16 x 4 virtual stages with the embedding and loss
# counted as pipeline layers: feasible, every stage reported, 7 layers on the first and last.
"$bin" predict "$src/configs/examples/llama31-405b-pp16-vpp4-h100-1024.json" --json > "$tmp/l405.json"; rc=$?
check "405B pp 16 x vpp 4 layout job predicts (exit 0)" '[ $rc -eq 0 ] && python3 -c "import json; d=json.load(open(\"$tmp/l405.json\")); s=d[\"memory_gib_per_stage\"]; assert d[\"feasible\"] and len(s) == 16 and [x[\"layers\"] for x in s] == [7] + [8] * 14 + [7], s"'
nonfinite() { python3 -c "import json,sys
def bad(c): raise SystemExit(1)
json.load(open(sys.argv[1]), parse_constant=bad)" "$1"; }
check "no NaN or infinity" 'nonfinite "$tmp/a.json"'
# Every prediction says how far to trust it (contract: interval, extrapolation).
trust='import json,sys
def ok(p):
    i = p["interval"]; assert i["level"] == 0.8, i
    assert i["step_time_s"][0] < p["step_time_s"] < i["step_time_s"][1], i
    assert i["tokens_per_s"][0] < p["tokens_per_s"] < i["tokens_per_s"][1], i
    assert isinstance(p["extrapolation"], list)
'
check "predict interval and extrapolation" 'python3 -c "$trust
ok(json.load(open(\"$tmp/a.json\")))"'
# On software with a zero-bubble schedule ("other": every feature; Megatron-Core, assumed without a
# framework, has none): the 530B problem with its framework named.
python3 -c "import json; d=json.load(open('$src/configs/examples/turing-530b-a100-5120-plan.json')); d['training']['framework']='other'; json.dump(d, open('$tmp/t530.json', 'w'))"
"$bin" plan "$tmp/t530.json" --json --top 2 > "$tmp/t.json"
check "530B winner names its extrapolation" 'python3 -c "import json; d=json.load(open(\"$tmp/t.json\")); f=d[\"plans\"][0][\"extrapolation\"]; assert any(\"zero-bubble\" in x for x in f), f"'
"$bin" plan "$src/configs/examples/turing-530b-a100-5120-plan.json" --json --top 2 --within-envelope > "$tmp/te.json"
check "plan --within-envelope gives covered plans" 'python3 -c "import json; d=json.load(open(\"$tmp/te.json\")); assert d[\"plans\"] and all(not p[\"extrapolation\"] for p in d[\"plans\"]) and d[\"within_envelope\"]"'
# plan --export: the 530B winner (framework "other") is zero-bubble, which Megatron-LM cannot run; the best plan it can
# express is written instead, and stderr says which and why.
"$bin" plan "$tmp/t530.json" --top 3 --export megatron -o "$tmp/ex530" > /dev/null 2> "$tmp/ex530.err"; rc=$?
check "plan --export writes the best exportable plan" '[ $rc -eq 0 ] && [ -f "$tmp/ex530/train.sh" ] && grep -q "cannot be written for megatron" "$tmp/ex530.err" && grep -q "zero-bubble" "$tmp/ex530.err" && grep -q "wrote instead the best plan megatron can express" "$tmp/ex530.err"'
check "the written plan is not zero-bubble" '! grep -q "zero-bubble\|--enable-zero-bubble" "$tmp/ex530/megatron_args.txt"'
# The NeMo export's training script is valid Python that imports the recipe it names.
"$bin" export "$src/configs/examples/llama3-70b-h100-64.json" --format nemo -o "$tmp/nemo70" > /dev/null 2>&1
check "nemo training script compiles" 'python3 -m py_compile "$tmp/nemo70/pretrain_cli_overrides.py" && grep -q "^from megatron.bridge.recipes.llama.h100.llama3 import llama3_70b_pretrain_32gpu_h100_bf16_config as recipe$" "$tmp/nemo70/pretrain_cli_overrides.py"'
# Issue 18 item 9: a mistyped command is named; a missing catalog folder is refused; --timings names the threads used.
"$bin" frobnicate > /dev/null 2> "$tmp/cmd.err"; rc=$?
check "unknown command named" '[ $rc -eq 2 ] && grep -q "unknown command \"frobnicate\"; expected one of predict, validate, plan" "$tmp/cmd.err"'
"$bin" --config-dir "$tmp/no-such-dir" predict "$src/configs/examples/gpt3-175b-a100-1024.json" > /dev/null 2> "$tmp/cfg.err"; rc=$?
check "missing --config-dir refused" '[ $rc -eq 2 ] && grep -q "Directory does not exist" "$tmp/cfg.err"'
"$bin" plan "$src/configs/examples/llama3-70b-h100-plan.json" --timings --threads 0 > /dev/null 2> "$tmp/tim.err"
check "--timings names the threads" 'grep -q "on [1-9][0-9]* threads" "$tmp/tim.err"'
"$bin" plan "$src/configs/examples/turing-530b-a100-5120-plan.json" --rank nonsense > /dev/null 2> "$tmp/rank.err"; rc=$?
check "plan --rank nonsense is bad input" '[ $rc -eq 2 ] && grep -q "expected one of estimate, conservative" "$tmp/rank.err"'
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
check "validate rows carry the interval of their metric" 'python3 -c "import json; d=json.load(open(\"$tmp/v.json\")); rs=[r for r in d[\"rows\"] if r[\"status\"]==\"predicted\"]; assert rs and all(r[\"interval\"][0] < r[\"predicted\"] < r[\"interval\"][1] for r in rs)"'
for f in "$src"/configs/examples/*.json; do
  case "$f" in *plan*|*sweep*) continue;; esac
  "$bin" predict "$f" --json > "$tmp/e.json"; rc=$?
  check "example $(basename "$f") predicts (exit 0/1)" '[ $rc -le 1 ]'
  check "example $(basename "$f") has no NaN" 'nonfinite "$tmp/e.json"'
done
# Plan problems: the contract's keys, no NaN, byte-identical output whatever the thread count.
for f in "$src"/configs/examples/*plan*.json; do
  n=$(basename "$f")
  "$bin" plan "$f" --json --threads 1 > "$tmp/p1.json"; rc=$?
  check "plan $n exit 0" '[ $rc -eq 0 ]'
  "$bin" plan "$f" --json --threads 2 > "$tmp/p2.json"
  check "plan $n identical with 1 and 2 threads" 'cmp -s "$tmp/p1.json" "$tmp/p2.json"'
  check "plan $n has no NaN" 'nonfinite "$tmp/p1.json"'
  check "plan $n contract keys" 'python3 -c "import json; d=json.load(open(\"$tmp/p1.json\")); [d[k] for k in (\"evaluated\", \"feasible\", \"infeasible_by_reason\", \"plans\", \"pareto\", \"explanation\", \"complete\")]; p=d[\"plans\"][0]; [p[k] for k in (\"plan\", \"step_time_s\", \"tokens_per_s\", \"mfu_pct\", \"memory_gib_per_stage\", \"peak_memory_gib\")]"'
  check "plan $n rows carry interval and extrapolation" 'python3 -c "$trust
[ok(p) for p in json.load(open(\"$tmp/p1.json\"))[\"plans\"]]"'
done
# Simulations of the example jobs (where the simulator is built): keys, no NaN, deterministic.
if "$bin" simulate "$src/configs/examples/gpt3-175b-a100-1024.json" --json > "$tmp/s1.json" 2> /dev/null; then
  for f in "$src"/configs/examples/*.json; do
    case "$f" in *plan*|*sweep*) continue;; esac
    n=$(basename "$f")
    "$bin" simulate "$f" --json > "$tmp/s1.json" 2> /dev/null; rc=$?
    check "simulate $n exit 0/1" '[ $rc -le 1 ]'
    "$bin" simulate "$f" --json > "$tmp/s2.json" 2> /dev/null
    check "simulate $n deterministic" 'cmp -s "$tmp/s1.json" "$tmp/s2.json"'
    check "simulate $n has no NaN" 'nonfinite "$tmp/s1.json"'
    [ $rc -eq 0 ] && check "simulate $n contract keys" 'python3 -c "import json; d=json.load(open(\"$tmp/s1.json\")); [d[k] for k in (\"step_time_s\", \"tokens_per_s\", \"time_breakdown_s\", \"memory_gib_per_stage\", \"link_utilization\", \"events\")]"'
    [ $rc -eq 0 ] && check "simulate $n interval and extrapolation" 'python3 -c "$trust
ok(json.load(open(\"$tmp/s1.json\")))"'
  done
fi
# The sweep example and the planning of every public run: no NaN.
for f in "$src"/configs/examples/*sweep*.json; do
  "$bin" sweep "$f" --json > "$tmp/w.json"; rc=$?
  check "sweep $(basename "$f") exit 0" '[ $rc -eq 0 ]'
  check "sweep $(basename "$f") keys and no NaN" 'nonfinite "$tmp/w.json" && python3 -c "import json; d=json.load(open(\"$tmp/w.json\")); [d[k] for k in (\"points\", \"pareto\")]"'
  check "sweep $(basename "$f") results carry interval and extrapolation" 'python3 -c "$trust
[ok(j) for p in json.load(open(\"$tmp/w.json\"))[\"points\"] for j in p[\"jobs\"] if j[\"feasible\"]]"'
done
"$bin" validate "$src/configs/validation/public-runs.json" --plan --json > "$tmp/vp.json"; rc=$?
check "validate --plan exit 0" '[ $rc -eq 0 ]'
check "validate --plan has no NaN" 'nonfinite "$tmp/vp.json"'
rm -rf "$tmp"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
