#include "planner/export/megatron_flags.hpp"

#include <algorithm>
#include <iterator>

namespace trainplan::exporter {

namespace {

// Sources: docs/interfaces.md §1.2 (core_v0.15.3 megatron/training/arguments.py); the ones marked
// "arguments.py" are from the same file outside that table.
constexpr std::string_view kFlags[] = {
    // Parallelism (§1.2).
    "--tensor-model-parallel-size",
    "--pipeline-model-parallel-size",
    "--context-parallel-size",
    "--expert-model-parallel-size",
    "--expert-tensor-parallel-size",
    "--num-layers-per-virtual-pipeline-stage",
    "--num-virtual-stages-per-pipeline-rank",
    "--decoder-first-pipeline-num-layers",
    "--decoder-last-pipeline-num-layers",
    "--pipeline-model-parallel-layout",
    "--account-for-embedding-in-pipeline-split",
    "--account-for-loss-in-pipeline-split",
    "--no-overlap-p2p-communication",
    "--cp-comm-type",
    "--sequence-parallel",
    "--use-distributed-optimizer",
    "--num-distributed-optimizer-instances",
    "--overlap-grad-reduce",
    "--overlap-param-gather",
    "--ddp-bucket-size",
    "--overlap-param-gather-with-optimizer-step",
    "--use-torch-fsdp2",
    "--use-megatron-fsdp",
    "--data-parallel-sharding-strategy",
    "--tp-comm-overlap",
    // Batch (§1.2).
    "--micro-batch-size",
    "--global-batch-size",
    "--rampup-batch-size",
    // Recompute (§1.2).
    "--recompute-activations",
    "--recompute-granularity",
    "--recompute-method",
    "--recompute-num-layers",
    "--recompute-modules",
    "--distribute-saved-activations",
    // Optimizer and precision (§1.2).
    "--optimizer-cpu-offload",
    "--optimizer-offload-fraction",
    "--use-precision-aware-optimizer",
    "--bf16",
    "--fp16",
    "--fp8-format",
    "--fp8-param-gather",
    "--grad-reduce-in-bf16",
    // Model shape (§1.2 "Model shape").
    "--num-layers",
    "--hidden-size",
    "--num-attention-heads",
    "--ffn-hidden-size",
    "--kv-channels",
    "--group-query-attention",
    "--num-query-groups",
    "--seq-length",
    "--max-position-embeddings",
    "--position-embedding-type",
    "--rotary-base",
    "--normalization",
    "--swiglu",
    "--disable-bias-linear",
    "--untie-embeddings-and-output-weights",
    "--vocab-size",
    "--make-vocab-size-divisible-by",
    "--num-experts",
    "--moe-router-topk",
    "--moe-ffn-hidden-size",
    "--moe-shared-expert-intermediate-size",
    "--moe-layer-freq",
    "--moe-grouped-gemm",
    "--moe-token-dispatcher-type",
    "--multi-latent-attention",
    "--q-lora-rank",
    "--kv-lora-rank",
    "--qk-head-dim",
    "--qk-pos-emb-head-dim",
    "--v-head-dim",
    "--mtp-num-layers",
    // arguments.py, outside the §1.2 table: activations, biases, router, attention kernel.
    "--squared-relu",
    "--add-qkv-bias",
    "--moe-router-enable-expert-bias",
    "--attention-backend",
    // arguments.py (d98e8a64): RoPE rescaling (Llama 3.x, YaRN) and the router's score and balancing.
    "--use-rope-scaling",
    "--rope-scaling-factor",
    "--rope-type",
    "--rotary-scaling-factor",
    "--moe-router-score-function",
    "--moe-router-load-balancing-type",
    "--moe-aux-loss-coeff",
    // arguments.py: Megatron-FSDP companions (examples/.../megatron_fsdp scripts).
    "--no-gradient-accumulation-fusion",
    "--ckpt-format",
    // arguments.py: run length, optimizer and data needed by pretrain_gpt.py to start.
    "--train-iters",
    "--optimizer",
    "--lr",
    "--min-lr",
    "--lr-decay-style",
    "--clip-grad",
    "--tokenizer-type",
    "--mock-data",
};

}  // namespace

std::span<const std::string_view> megatron_flags() { return kFlags; }

bool is_megatron_flag(std::string_view flag) { return std::find(std::begin(kFlags), std::end(kFlags), flag) != std::end(kFlags); }

}  // namespace trainplan::exporter
