#!/bin/bash
# DeepSpeed launch for Llama 3 8B on 32 GPUs (DGX A100 SuperPOD (Selene)), written by trainplan.
# tp 1 (AutoTP), pp 1, dp 32, ZeRO-3; train.py is your
# training script: it builds PipelineModule(num_stages=1) when pp > 1 and passes ds_config.json to deepspeed.initialize.
# Launcher flags: deepspeed/launcher/runner.py (interfaces.md §2.4).
set -euo pipefail

deepspeed --hostfile=hostfile --num_nodes 4 --num_gpus 8 --master_port 29500 train.py \
    --tensor-model-parallel-size 1 --pipeline-model-parallel-size 1 --seq-length 8192 \
    --deepspeed --deepspeed_config ds_config.json
