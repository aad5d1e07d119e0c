#!/bin/bash
# Megatron-LM pretrain_gpt.py for Llama 3 405B on 16384 GPUs (DGX H100 SuperPOD), written by trainplan.
# Targets Megatron-LM d98e8a64 (main, 2026).
# tp 8, pp 16, vpp 1, cp 1, ep 1, dp 128; 16 micro-batches of 1 per step.
# Run this script once on every node, with NODE_RANK = 0..2047 and MASTER_ADDR = node 0:
#   NODE_RANK=0 MASTER_ADDR=worker-0 ./train.sh
set -euo pipefail

export CUDA_DEVICE_MAX_CONNECTIONS=1  # TP/CP overlap ordering, as every Megatron example sets it

GPUS_PER_NODE=8
NUM_NODES=2048
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
    --num-layers 126
    --hidden-size 16384
    --num-attention-heads 128
    --ffn-hidden-size 53248
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
    --tensor-model-parallel-size 8
    --pipeline-model-parallel-size 16
    --context-parallel-size 1
    --sequence-parallel
    --decoder-first-pipeline-num-layers 7
    --decoder-last-pipeline-num-layers 7
)

DATA_PARALLEL_ARGS=(
    --use-distributed-optimizer
    --overlap-grad-reduce
    --overlap-param-gather
)

TRAINING_ARGS=(
    --micro-batch-size 1
    --global-batch-size 2048
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
