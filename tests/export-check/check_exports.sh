#!/bin/bash
# Runs the frameworks' own config parsing and validation (../shared/tools/framework-check,
# `check-export`: Megatron-LM parse_args/validate_args/TransformerConfig, DeepSpeedConfig,
# torchtitan's ConfigManager + ParallelDims, Megatron-Bridge's ConfigContainer fields) on the
# exports of every example job and of the variants in tests/export-check/variants, which cover the
# exported features the examples do not: MLA + sigmoid router with expert bias + YaRN + MTP
# (DeepSeek-V3), Llama-3 RoPE scaling with uneven stages and virtual stages, Megatron-FSDP with TP,
# torch FSDP2, fp8 compute weights gathered in fp8 (fp8_param_gather), a softmax router with an aux loss, torchtitan's qwen3 family with the float8 converter, and
# its deepseek_v3 671B flavor (DeepSeek-V3 without MTP, FSDP2 + EP + PP). Each export must pass or be refused
# with a reason.
# A rule the stand-ins cannot evaluate (Transformer Engine reads as 0.0.0: e.g. MoE fp8, which
# TransformerConfig gates on TE >= 1.7) is not among the variants: see the checker's README.
#
#   tests/export-check/check_exports.sh BIN_DIR PROJECT_ROOT
set -uo pipefail
bin="$1/trainplan"
root="$2"
checker="$root/../shared/tools/framework-check/check-export"
if [[ ! -x "$checker" ]]; then
  echo "SKIP: $checker not found (framework-check lives next to the project in ../shared)"
  exit 77
fi
fail=0
jobs=()
for j in "$root"/configs/examples/*.json "$root"/tests/export-check/variants/*.json; do
  case "$j" in *-plan.json|*sweep*) continue ;; esac
  jobs+=("$j")
done
for j in "${jobs[@]}"; do
  out=$("$checker" "$bin" "$j" 2>&1)
  rc=$?
  echo "$out" | grep -E '^(megatron|deepspeed|torchtitan|nemo) +\|' | sed "s|^|$(basename "$j" .json): |" | cut -c1-240
  if [[ $rc -ne 0 ]]; then
    echo "FAILED: $j"
    echo "$out" | grep -E 'FAIL|ERROR|export failed' | head -5
    fail=1
  fi
done
echo "${#jobs[@]} jobs checked"
exit $fail
