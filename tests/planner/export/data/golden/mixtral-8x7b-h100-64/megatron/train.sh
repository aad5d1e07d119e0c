#!/bin/bash
# Megatron-LM pretrain_gpt.py for Mixtral 8x7B on 64 GPUs (DGX H100 SuperPOD), written by trainplan.
# Targets Megatron-LM d98e8a64 (main, 2026).
# tp 1, pp 4, vpp 1, cp 1, ep 8, dp 16; 16 micro-batches of 1 per step.
# Run this script once on every node, with NODE_RANK = 0..7 and MASTER_ADDR = node 0:
#   NODE_RANK=0 MASTER_ADDR=worker-0 ./train.sh
set -euo pipefail

export CUDA_DEVICE_MAX_CONNECTIONS=1  # TP/CP overlap ordering, as every Megatron example sets it

GPUS_PER_NODE=8
NUM_NODES=8
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
    --seq-length 4096
    --max-position-embeddings 32768
    --position-embedding-type rope
    --rotary-base 1000000
    --normalization RMSNorm
    --swiglu
    --disable-bias-linear
    --untie-embeddings-and-output-weights
    --vocab-size 32000
    --make-vocab-size-divisible-by 128
)

MOE_ARGS=(
    --num-experts 8
    --moe-router-topk 2
    --moe-ffn-hidden-size 14336
    --moe-router-score-function softmax
    --moe-router-load-balancing-type aux_loss
    --moe-aux-loss-coeff 0.02
    --moe-grouped-gemm
    --moe-token-dispatcher-type alltoall
)

MODEL_PARALLEL_ARGS=(
    --tensor-model-parallel-size 1
    --pipeline-model-parallel-size 4
    --context-parallel-size 1
    --expert-model-parallel-size 8
    --expert-tensor-parallel-size 1
)

DATA_PARALLEL_ARGS=(
    --use-distributed-optimizer
    --overlap-grad-reduce
    --overlap-param-gather
)

TRAINING_ARGS=(
    --micro-batch-size 1
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
    ${MOE_ARGS[@]} \
    ${MODEL_PARALLEL_ARGS[@]} \
    ${DATA_PARALLEL_ARGS[@]} \
    ${TRAINING_ARGS[@]} \
    ${DATA_ARGS[@]}
