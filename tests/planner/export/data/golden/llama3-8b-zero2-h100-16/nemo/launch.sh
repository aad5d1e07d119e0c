#!/bin/bash
# Megatron-Bridge launch for Llama 3 8B on 16 GPUs (DGX H100 SuperPOD), written by trainplan.
# Run once per node with NODE_RANK = 0..1; the overrides are those of overrides.txt.
set -euo pipefail

unset CUDA_DEVICE_MAX_CONNECTIONS  # Megatron-FSDP needs it unset or > 1
NODE_RANK=${NODE_RANK:-0}
MASTER_ADDR=${MASTER_ADDR:-localhost}

python -m torch.distributed.run --nproc_per_node 8 --nnodes 2 --node_rank $NODE_RANK --master_addr $MASTER_ADDR --master_port 29500 \
    pretrain_cli_overrides.py \
    model.num_layers=32 \
    model.hidden_size=4096 \
    model.ffn_hidden_size=14336 \
    model.num_attention_heads=32 \
    model.num_query_groups=8 \
    model.kv_channels=128 \
    model.seq_length=4096 \
    model.normalization=RMSNorm \
    model.gated_linear_unit=true \
    model.activation_func=silu \
    model.add_bias_linear=false \
    model.add_qkv_bias=false \
    model.position_embedding_type=rope \
    model.share_embeddings_and_output_weights=false \
    model.vocab_size=128256 \
    model.rotary_base=500000 \
    model.tensor_model_parallel_size=2 \
    model.pipeline_model_parallel_size=1 \
    model.virtual_pipeline_model_parallel_size=null \
    model.context_parallel_size=1 \
    model.sequence_parallel=false \
    model.expert_model_parallel_size=1 \
    model.expert_tensor_parallel_size=2 \
    model.account_for_embedding_in_pipeline_split=false \
    model.account_for_loss_in_pipeline_split=false \
    model.pipeline_model_parallel_layout=null \
    model.overlap_p2p_comm=false \
    model.recompute_granularity=null \
    train.global_batch_size=128 \
    train.micro_batch_size=2 \
    train.train_iters=1000 \
    ddp.use_distributed_optimizer=true \
    optimizer.use_distributed_optimizer=true \
    ddp.use_megatron_fsdp=true \
    ddp.data_parallel_sharding_strategy=optim_grads \
    checkpoint.ckpt_format=fsdp_dtensor \
    dataset.seq_length=4096 \
    ddp.overlap_grad_reduce=true \
    ddp.overlap_param_gather=true \
    optimizer.optimizer=adam \
    mixed_precision=bf16_mixed
