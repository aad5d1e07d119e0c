#!/bin/bash
# torchtitan launch, written by trainplan, for torchtitan v0.2.2. The dotted overrides repeat
# the TOML's [parallelism] degrees (docs/debugging.md). torchtitan main has no TOML job files (--module/--config): this is v0.2.2's form.
set -euo pipefail

# Under Slurm, from the head node (torchtitan multinode script):
head_node_ip=${head_node_ip:-$(hostname -i)}
srun torchrun --nnodes 2 --nproc_per_node 8 --rdzv_id 101 --rdzv_backend c10d --rdzv_endpoint "$head_node_ip:29500" \
    -m torchtitan.train --job.config_file ./torchtitan.toml \
    --parallelism.data_parallel_replicate_degree 1 \
    --parallelism.data_parallel_shard_degree 16 \
    --parallelism.fsdp_reshard_after_forward always \
    --parallelism.tensor_parallel_degree 1 \
    --parallelism.pipeline_parallel_degree 1 \
    --parallelism.context_parallel_degree 1 \
    --parallelism.expert_parallel_degree 1 \
    --parallelism.expert_tensor_parallel_degree 1
