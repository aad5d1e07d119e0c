#!/bin/bash
# Megatron-LM pretrain_gpt.py for Llama 3 8B on 32 GPUs (DGX A100 SuperPOD (Selene)), written by trainplan.
# Targets Megatron-LM d98e8a64 (main, 2026).
# tp 1, pp 1, vpp 1, cp 1, ep 1, dp 32; 4 micro-batches of 2 per step.
# Run this script once on every node, with NODE_RANK = 0..3 and MASTER_ADDR = node 0:
#   NODE_RANK=0 MASTER_ADDR=worker-0 ./train.sh
set -euo pipefail

unset CUDA_DEVICE_MAX_CONNECTIONS  # FSDP needs it unset or > 1 (validate_args)

GPUS_PER_NODE=8
NUM_NODES=4
NODE_RANK=${NODE_RANK:-0}
MASTER_ADDR=${MASTER_ADDR:-localhost}
MASTER_PORT=${MASTER_PORT:-29500}

DISTRIBUTED_ARGS=(
    --nproc_per_node $GPUS_PER_NODE
    --nnodes $NUM_NODES
    --node_rank $NODE_RANK
    --master_addr $MASTER_ADDR
    --master_port $MASTER_PORT
)

MODEL_ARGS=(
    --num-layers 32
    --hidden-size 4096
    --num-attention-heads 32
    --ffn-hidden-size 14336
    --group-query-attention
    --num-query-groups 8
    --seq-length 8192
    --max-position-embeddings 8192
    --position-embedding-type rope
    --rotary-base 500000
    --normalization RMSNorm
    --swiglu
    --disable-bias-linear
    --untie-embeddings-and-output-weights
    --vocab-size 128256
    --make-vocab-size-divisible-by 128
)

MODEL_PARALLEL_ARGS=(
    --tensor-model-parallel-size 1
    --pipeline-model-parallel-size 1
    --context-parallel-size 1
)

DATA_PARALLEL_ARGS=(
    --use-torch-fsdp2
    --no-gradient-accumulation-fusion
    --overlap-grad-reduce
)

TRAINING_ARGS=(
    --micro-batch-size 2
    --global-batch-size 256
    --train-iters 1000
    --optimizer adam
    --lr 1.0e-4
    --min-lr 1.0e-5
    --lr-decay-style cosine
    --clip-grad 1.0
    --bf16
    --recompute-granularity full
    --recompute-method uniform
    --recompute-num-layers 1
)

DATA_ARGS=(
    --mock-data
    --tokenizer-type NullTokenizer
)

torchrun ${DISTRIBUTED_ARGS[@]} pretrain_gpt.py \
    ${MODEL_ARGS[@]} \
    ${MODEL_PARALLEL_ARGS[@]} \
    ${DATA_PARALLEL_ARGS[@]} \
    ${TRAINING_ARGS[@]} \
    ${DATA_ARGS[@]}
