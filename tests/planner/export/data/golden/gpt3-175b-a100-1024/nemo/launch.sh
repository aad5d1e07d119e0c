#!/bin/bash
# Megatron-Bridge launch for GPT-3 175B on 1024 GPUs (DGX A100 SuperPOD (Selene)), written by trainplan.
# Run once per node with NODE_RANK = 0..127; the overrides are those of overrides.txt.
set -euo pipefail

export CUDA_DEVICE_MAX_CONNECTIONS=1
NODE_RANK=${NODE_RANK:-0}
MASTER_ADDR=${MASTER_ADDR:-localhost}

python -m torch.distributed.run --nproc_per_node 8 --nnodes 128 --node_rank $NODE_RANK --master_addr $MASTER_ADDR --master_port 29500 \
    pretrain_cli_overrides.py \
    model.num_layers=96 \
    model.hidden_size=12288 \
    model.ffn_hidden_size=49152 \
    model.num_attention_heads=96 \
    model.num_query_groups=96 \
    model.kv_channels=128 \
    model.seq_length=2048 \
    model.normalization=LayerNorm \
    model.gated_linear_unit=false \
    model.activation_func=gelu \
    model.add_bias_linear=true \
    model.add_qkv_bias=true \
    model.position_embedding_type=learned_absolute \
    model.share_embeddings_and_output_weights=true \
    model.vocab_size=50257 \
    model.tensor_model_parallel_size=8 \
    model.pipeline_model_parallel_size=8 \
    model.virtual_pipeline_model_parallel_size=null \
    model.context_parallel_size=1 \
    model.sequence_parallel=true \
    model.expert_model_parallel_size=1 \
    model.expert_tensor_parallel_size=8 \
    model.account_for_embedding_in_pipeline_split=false \
    model.account_for_loss_in_pipeline_split=false \
    model.pipeline_model_parallel_layout=null \
    model.pipeline_dtype=torch.bfloat16 \
    model.overlap_p2p_comm=false \
    model.recompute_granularity=selective \
    comm_overlap.tp_comm_overlap=false \
    comm_overlap.tp_comm_overlap_cfg=null \
    comm_overlap.overlap_p2p_comm=false \
    comm_overlap.overlap_grad_reduce=true \
    comm_overlap.overlap_param_gather=true \
    train.global_batch_size=1536 \
    train.micro_batch_size=1 \
    train.train_iters=1000 \
    ddp.use_distributed_optimizer=true \
    optimizer.use_distributed_optimizer=true \
    ddp.use_megatron_fsdp=false \
    dataset.seq_length=2048 \
    ddp.overlap_grad_reduce=true \
    ddp.overlap_param_gather=true \
    optimizer.optimizer=adam \
    mixed_precision=bf16_mixed
