# Written by trainplan: Megatron-Bridge pre-training from llama3_8b_pretrain_2gpu_h100_bf16_config (megatron.bridge.recipes.llama.h100.llama3)
# with the overrides given on the command line (overrides.txt).
import sys

from megatron.bridge.recipes.llama.h100.llama3 import llama3_8b_pretrain_2gpu_h100_bf16_config as recipe
from megatron.bridge.training.gpt_step import forward_step
from megatron.bridge.training.mixed_precision import get_mixed_precision_config
from megatron.bridge.training.pretrain import pretrain
from megatron.bridge.training.utils.omegaconf_utils import process_config_with_overrides

if __name__ == "__main__":
    cfg = process_config_with_overrides(recipe(), cli_overrides=sys.argv[1:])
    # Gradients are reduced in fp32: setup() copies this onto cfg.ddp.grad_reduce_in_fp32.
    cfg.mixed_precision = get_mixed_precision_config(cfg.mixed_precision)
    cfg.mixed_precision.grad_reduce_in_fp32 = True
    pretrain(cfg, forward_step)
