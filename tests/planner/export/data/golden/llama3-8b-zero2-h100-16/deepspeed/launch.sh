#!/bin/bash
# DeepSpeed launch for Llama 3 8B on 16 GPUs (DGX H100 SuperPOD), written by trainplan.
# tp 2 (AutoTP), pp 1, dp 8, ZeRO-2; train.py is your
# training script: it builds PipelineModule(num_stages=1) when pp > 1 and passes ds_config.json to deepspeed.initialize.
# Launcher flags: deepspeed/launcher/runner.py (docs/interfaces.md §2.4).
set -euo pipefail

deepspeed --hostfile=hostfile --num_nodes 2 --num_gpus 8 --master_port 29500 train.py \
    --tensor-model-parallel-size 2 --pipeline-model-parallel-size 1 --seq-length 4096 \
    --deepspeed --deepspeed_config ds_config.json
