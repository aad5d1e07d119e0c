#!/usr/bin/env python3
"""Measure real GPT training steps on one local GPU and write them as validation runs.

A small PyTorch GPT (GPT-3 350M, 760M, 1.3B shapes; sequence 2048; bf16 autocast with fp32 weights,
fused AdamW) runs full optimizer steps of several micro-batches, with and without activation
checkpointing, and records the step time and torch.cuda.max_memory_allocated. Rows follow
`trainplan-validation-runs/1` (shared validation README) so `trainplan validate` can predict them:

    python3 profiler/step_validation.py                 # -> configs/validation/<gpu-key>-steps.json
    python3 profiler/step_validation.py --quick --out $OUT/steps.json

Memory: PyTorch's peak of allocated tensors (no CUDA context, no allocator cache), in GB (1e9 B).
Training state per parameter is 16 B (fp32 weight 4, fp32 grad 4, Adam m and v 8).
"""
import argparse
import datetime
import json
import os
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.utils.checkpoint import checkpoint
except ImportError:  # pragma: no cover - needs PyTorch
    print("step_validation.py: PyTorch is not installed", file=sys.stderr)
    sys.exit(3)

# (key, name, layers, hidden, heads, ffn, vocab). GPT-3 shapes from Brown et al. 2020, Table 2.1;
# 1.3B uses 16 heads of 128 (Megatron's GPT 1.3B) because 2048 is not divisible by the paper's 24.
MODELS = [
    ("gpt3-350m", "GPT-3 Medium 350M", 24, 1024, 16, 4096, 50257),
    ("gpt3-760m", "GPT-3 Large 760M", 24, 1536, 16, 6144, 50257),
    ("gpt3-1.3b", "GPT-3 XL 1.3B (16 heads)", 24, 2048, 16, 8192, 50257),
]
SEQ = 2048


def gpu_key(name, memory_gib):
    """Catalog key as profiler/device_key.cpp maps it (configs/gpus/<key>.json)."""
    n = name.lower()
    pcie = "pcie" in n or (" nvl" in n and "nvl72" not in n)
    if "gb300" in n:
        return "gb300-nvl72"
    if "gb200" in n:
        return "gb200-nvl72"
    if not pcie and "gh200" not in n:
        if "b200" in n:
            return "b200-sxm-180gb"
        if "h200" in n:
            return "h200-sxm-141gb"
        if "h800" in n:
            return "h800-sxm5-80gb"
        if "h100" in n and ("hbm3" in n or "sxm" in n):
            return "h100-sxm5-80gb"
        if "a100" in n and "sxm" in n:
            return "a100-sxm4-80gb" if memory_gib > 50 else "a100-sxm4-40gb"
        if "v100" in n and "sxm2" in n and memory_gib > 20:
            return "v100-sxm2-32gb"
    slug = "".join(c if c.isalnum() else "-" for c in n)
    slug = "-".join(p for p in slug.split("-") if p)
    for prefix in ("nvidia-", "tesla-"):
        if slug.startswith(prefix):
            slug = slug[len(prefix):]
    return slug


class Block(nn.Module):
    def __init__(self, h, heads, ffn):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(h)
        self.qkv = nn.Linear(h, 3 * h)
        self.proj = nn.Linear(h, h)
        self.ln2 = nn.LayerNorm(h)
        self.fc1 = nn.Linear(h, ffn)
        self.fc2 = nn.Linear(ffn, h)

    def forward(self, x):
        b, s, h = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(b, s, 3, self.heads, h // self.heads).permute(2, 0, 3, 1, 4)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # flash / memory-efficient kernel
        x = x + self.proj(a.transpose(1, 2).reshape(b, s, h))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, layers, h, heads, ffn, vocab, seq, recompute):
        super().__init__()
        self.recompute = recompute
        self.wte = nn.Embedding(vocab, h)
        self.wpe = nn.Embedding(seq, h)
        self.blocks = nn.ModuleList(Block(h, heads, ffn) for _ in range(layers))
        self.ln_f = nn.LayerNorm(h)

    def forward(self, idx):
        pos = torch.arange(idx.shape[1], device=idx.device)
        x = self.wte(idx) + self.wpe(pos)
        for blk in self.blocks:
            # "full" recomputation: only each block's input is kept; the block reruns in backward.
            x = checkpoint(blk, x, use_reentrant=False) if self.recompute else blk(x)
        return F.linear(self.ln_f(x), self.wte.weight)  # tied embeddings (GPT-3)


def model_flops_per_step(layers, h, vocab, seq, sequences):
    """Narayanan et al. 2021 Eq. 3 without recomputation (factor 72): model FLOPs, 4h MLP."""
    return 72.0 * sequences * seq * layers * h * h * (1 + seq / (6.0 * h) + vocab / (12.0 * layers * h))


def measure(spec, micro_batch, micro_batches, recompute, warmup, steps, device):
    key, _, layers, h, heads, ffn, vocab = spec
    torch.manual_seed(0)
    model = GPT(layers, h, heads, ffn, vocab, SEQ, recompute).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.1, fused=True)
    data = torch.randint(0, vocab, (micro_batch, SEQ + 1), device=device)
    x, y = data[:, :-1], data[:, 1:]

    def step():
        for _ in range(micro_batches):
            with torch.autocast("cuda", dtype=torch.bfloat16):
                loss = F.cross_entropy(model(x).float().view(-1, vocab), y.reshape(-1))
            (loss / micro_batches).backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    try:
        for _ in range(warmup):
            step()
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        torch.cuda.synchronize()
        seconds = (time.perf_counter() - t0) / steps
        peak = torch.cuda.max_memory_allocated()
        return seconds, peak, None
    except torch.cuda.OutOfMemoryError as e:
        return None, None, str(e).splitlines()[0]
    finally:
        del model, opt
        torch.cuda.empty_cache()


def run_row(spec, gpu, device_name, micro_batch, micro_batches, recompute, seconds, peak, oom):
    key, name, layers, h, heads, ffn, vocab = spec
    sequences = micro_batch * micro_batches
    rec = "full" if recompute else "none"
    params = vocab * h + SEQ * h + layers * (12 * h * h + 13 * h) + 2 * h
    row = {
        "id": f"{gpu}-{key}-mb{micro_batch}x{micro_batches}-{rec}",
        "source_id": "trainplan_step_validation",
        "source": f"profiler/step_validation.py on {device_name}, torch {torch.__version__}, "
                  f"{datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d')}",
        "system": {"gpu": gpu, "num_gpus": 1, "gpus_per_node": 1, "nics_per_node": None, "nic_gbps": None,
                   "scale_up": None, "cluster": f"one {device_name}"},
        "model": {"name": name, "num_layers": layers, "hidden_size": h, "num_attention_heads": heads,
                  "num_kv_heads": heads, "ffn_hidden_size": ffn, "vocab_size": vocab, "seq_len": SEQ,
                  "activation": "gelu", "params_billion": round(params / 1e9, 3), "moe": None, "attention": "mha"},
        "parallelism": {"tp": 1, "pp": 1, "dp": 1, "cp": 1, "ep": 1, "sequence_parallel": False,
                        "virtual_pipeline_stages": 1, "zero_stage": 0, "fsdp": None, "offload": "none",
                        "micro_batch_size": micro_batch, "activation_recomputation": rec},
        "training": {"global_batch_size": sequences, "precision": "bf16"},
        "measured": {"iteration_time_s": None, "tflops_per_gpu": None, "tflops_definition": None, "mfu_pct": None,
                     "tokens_per_s_per_gpu": None, "memory_per_gpu_gb": None,
                     "memory_definition": "PyTorch torch.cuda.max_memory_allocated over measured steps, GB (1e9 B); "
                                          "fp32 weights and grads, fp32 AdamW states, bf16 autocast"},
        "inferred_fields": [],
        "usable": True,
        "unusable_reason": None,
    }
    m = row["measured"]
    if oom is not None:
        m["memory_definition"] = "OOM: " + oom
        row["usable"] = False
        row["unusable_reason"] = "out of memory: no step time"
        return row
    m["iteration_time_s"] = round(seconds, 6)
    m["tokens_per_s_per_gpu"] = round(sequences * SEQ / seconds, 1)
    m["tflops_per_gpu"] = round(model_flops_per_step(layers, h, vocab, SEQ, sequences) / seconds / 1e12, 2)
    m["tflops_definition"] = "model"
    m["memory_per_gpu_gb"] = round(peak / 1e9, 3)
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", help="output file (default configs/validation/<gpu-key>-steps.json)")
    ap.add_argument("--quick", action="store_true", help="350M and 1.3B, micro-batch 1 and 4, fewer steps")
    ap.add_argument("--micro-batches", type=int, default=4, help="micro-batches per optimizer step (default 4)")
    args = ap.parse_args()

    if not torch.cuda.is_available():
        print("step_validation.py: no usable CUDA GPU; nothing written (exit status 3)", file=sys.stderr)
        return 3
    device = torch.device("cuda", 0)
    props = torch.cuda.get_device_properties(device)
    gpu = gpu_key(props.name, props.total_memory / 2**30)
    torch.backends.cuda.matmul.allow_tf32 = True

    models = [m for m in MODELS if not args.quick or m[0] in ("gpt3-350m", "gpt3-1.3b")]
    micro = [1, 4] if args.quick else [1, 2, 4, 8]
    warmup, steps = (2, 3) if args.quick else (3, 10)
    runs = []
    for spec in models:
        for recompute in (False, True):
            for mb in micro:
                print(f"step_validation.py: {spec[0]} micro-batch {mb} x {args.micro_batches} "
                      f"recompute={'full' if recompute else 'none'}", file=sys.stderr)
                seconds, peak, oom = measure(spec, mb, args.micro_batches, recompute, warmup, steps, device)
                runs.append(run_row(spec, gpu, props.name, mb, args.micro_batches, recompute, seconds, peak, oom))

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = args.out or os.path.join(root, "configs", "validation", f"{gpu}-steps.json")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump({"schema": "trainplan-validation-runs/1", "runs": runs}, f, indent=2)
        f.write("\n")
    print(f"step_validation.py: wrote {len(runs)} runs to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
