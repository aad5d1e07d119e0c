#!/bin/bash
# Megatron-Bridge launch for Llama 3 70B on 64 GPUs (DGX H100 SuperPOD), written by trainplan.
# Run once per node with NODE_RANK = 0..7; the overrides are those of overrides.txt.
set -euo pipefail

export CUDA_DEVICE_MAX_CONNECTIONS=1
NODE_RANK=${NODE_RANK:-0}
MASTER_ADDR=${MASTER_ADDR:-localhost}

python -m torch.distributed.run --nproc_per_node 8 --nnodes 8 --node_rank $NODE_RANK --master_addr $MASTER_ADDR --master_port 29500 \
    pretrain_cli_overrides.py \
    model.num_layers=80 \
    model.hidden_size=8192 \
    model.ffn_hidden_size=28672 \
    model.num_attention_heads=64 \
    model.num_query_groups=8 \
    model.kv_channels=128 \
    model.seq_length=8192 \
    model.normalization=RMSNorm \
    model.gated_linear_unit=true \
    model.activation_func=silu \
    model.add_bias_linear=false \
    model.add_qkv_bias=false \
    model.position_embedding_type=rope \
    model.share_embeddings_and_output_weights=false \
    model.vocab_size=128256 \
    model.rotary_base=500000 \
    model.tensor_model_parallel_size=8 \
    model.pipeline_model_parallel_size=4 \
    model.virtual_pipeline_model_parallel_size=5 \
    model.context_parallel_size=1 \
    model.sequence_parallel=true \
    model.expert_model_parallel_size=1 \
    model.expert_tensor_parallel_size=8 \
    model.account_for_embedding_in_pipeline_split=false \
    model.account_for_loss_in_pipeline_split=false \
    model.pipeline_model_parallel_layout=null \
    model.pipeline_dtype=torch.bfloat16 \
    model.overlap_p2p_comm=true \
    model.recompute_granularity=selective \
    comm_overlap.tp_comm_overlap=false \
    comm_overlap.tp_comm_overlap_cfg=null \
    comm_overlap.overlap_p2p_comm=true \
    comm_overlap.overlap_grad_reduce=true \
    comm_overlap.overlap_param_gather=true \
    train.global_batch_size=512 \
    train.micro_batch_size=1 \
    train.train_iters=1000 \
    ddp.use_distributed_optimizer=true \
    optimizer.use_distributed_optimizer=true \
    ddp.use_megatron_fsdp=false \
    dataset.seq_length=8192 \
    ddp.overlap_grad_reduce=true \
    ddp.overlap_param_gather=true \
    optimizer.optimizer=adam \
    mixed_precision=bf16_mixed
