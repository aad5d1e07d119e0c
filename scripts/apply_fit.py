#!/usr/bin/env python3
"""Writes the output of `trainplan validate RUNS --fit` into configs/calibration/defaults.json:
the fitted gemm_efficiency of each fitted group (bf16 also sets fp16, which the fit groups with it;
Hopper's values also go to Blackwell, which no public run covers). The uncertainty data is written
by --fit itself with --uncertainty-out. Usage: ./build/bin/trainplan validate configs/validation/public-runs.json --fit
| python3 scripts/apply_fit.py configs/calibration/defaults.json"""
import json
import sys
from collections import OrderedDict

path = sys.argv[1]
fit = json.load(sys.stdin)
doc = json.load(open(path), object_pairs_hook=OrderedDict)
archs = doc["architectures"]
for key, eff in fit["fitted_gemm_efficiency"].items():
    arch, prec = key.split("/")
    targets = [arch] + (["blackwell"] if arch == "hopper" else [])
    for a in targets:
        g = archs[a]["gemm_efficiency"]
        for p in (("bf16", "fp16") if prec == "bf16" else (prec,)):
            if p in g:
                g[p] = eff
with open(path, "w") as f:
    json.dump(doc, f, indent=2, ensure_ascii=False)
    f.write("\n")
