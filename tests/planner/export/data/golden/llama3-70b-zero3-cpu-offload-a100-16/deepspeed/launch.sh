#!/bin/bash
# DeepSpeed launch for Llama 3 70B on 16 GPUs (DGX A100 SuperPOD (Selene)), written by trainplan.
# tp 1 (AutoTP), pp 1, dp 16, ZeRO-3; train.py is your
# training script: it builds PipelineModule(num_stages=1) when pp > 1 and passes ds_config.json to deepspeed.initialize.
# Launcher flags: deepspeed/launcher/runner.py (interfaces.md §2.4).
set -euo pipefail

deepspeed --hostfile=hostfile --num_nodes 2 --num_gpus 8 --master_port 29500 train.py \
    --tensor-model-parallel-size 1 --pipeline-model-parallel-size 1 --seq-length 4096 \
    --deepspeed --deepspeed_config ds_config.json
