// Import of real launch scripts. The scripts are not copied here: each test names its source
// (repository, path, commit) and keeps the lines whose shell constructs decide what is launched,
// verbatim and in their order, with the rest (logging, data paths, profiling flags) left out.
// The expected job is what the script launches when bash runs it, read off the full script:
// e.g. DTYPE="fp8" takes the fp8 branch, the mock-data branch is taken by the "MOCK" defaults,
// NSYS_PROFILE=0 skips the profiler branch, and the `[ ! -f pretrain_gpt.py ]` guard does not exit.
// Re-check against the full scripts: `trainplan import --format megatron FILE.sh` on
//   git -C <Megatron-LM mirror> show d98e8a64:examples/llama/train_llama3_8b_h100_fp8.sh
#include "export_test_support.hpp"
#include "model/params.hpp"

namespace trainplan::exporter {
namespace {

using testing::contains;

bool any_contains(const std::vector<std::string>& lines, const std::string& part) {
  for (const auto& l : lines)
    if (contains(l, part)) return true;
  return false;
}

// The parts of Megatron-LM d98e8a64 examples/llama/train_llama3_8b_h100_fp8.sh that decide the launch.
const char* const kLlama3Fp8 = R"SH(#!/bin/bash
export CUDA_DEVICE_MAX_CONNECTIONS=${CUDA_DEVICE_MAX_CONNECTIONS:-1}
CHECKPOINT_PATH=${1:-"checkpoints/llama3_8b_fp8"}
TOKENIZER_ARG=${3:-"MOCK"} # Path to tokenizer model, or "MOCK"
DATA_ARG=${4:-"MOCK"}     # Data prefix, or "MOCK"
mkdir -p "$(dirname "$CHECKPOINT_PATH")"
GPUS_PER_NODE=8
NUM_NODES=1
MASTER_ADDR=${MASTER_ADDR:-localhost}
MASTER_PORT=${MASTER_PORT:-29500}
NODE_RANK=${NODE_RANK:-0}
WORLD_SIZE=$(($GPUS_PER_NODE*$NUM_NODES))
PRETRAIN_SCRIPT_PATH="pretrain_gpt.py"
TP_SIZE=1     
CP_SIZE=1     
MICRO_BATCH_SIZE=1
GLOBAL_BATCH_SIZE=128
NUM_LAYERS=32  
DTYPE="fp8"
SEQ_LENGTH=8192
MAX_POSITION_EMBEDDINGS=8192
DATA_CACHE_PATH="${PWD}/benchmark_cache_llama3_8b_fp8"
DISTRIBUTED_ARGS=(
    --nproc_per_node $GPUS_PER_NODE
    --nnodes $NUM_NODES
    --node_rank $NODE_RANK
    --master_addr $MASTER_ADDR
    --master_port $MASTER_PORT
)
MODEL_ARGS=(
    --use-mcore-models
    --num-layers $NUM_LAYERS
    --hidden-size 4096
    --ffn-hidden-size 14336
    --num-attention-heads 32
    --group-query-attention
    --num-query-groups 8
    --kv-channels 128
    --seq-length $SEQ_LENGTH
    --max-position-embeddings $MAX_POSITION_EMBEDDINGS
    --position-embedding-type rope
    --rotary-base 1000000 
    --swiglu
    --normalization RMSNorm
    --untie-embeddings-and-output-weights
    --disable-bias-linear 
)
TRAINING_ARGS=(
    --micro-batch-size $MICRO_BATCH_SIZE
    --global-batch-size $GLOBAL_BATCH_SIZE
    --decoupled-lr 5.0e-4      # Specific to decoupled AdamW, ensure optimizer is compatible
    --bf16
    --grad-reduce-in-bf16
)
DTYPE_ARGS=()
if [[ "$DTYPE" == "fp8" ]]; then
    DTYPE_ARGS+=(
        "--fp8-format hybrid"
        "--fp8-amax-history-len 1024"
        "--fp8-param-gather"
    )
fi
MODEL_PARALLEL_ARGS=(
    --tensor-model-parallel-size $TP_SIZE
    --context-parallel-size $CP_SIZE
    # --pipeline-model-parallel-size $PP_SIZE # Not explicitly set in llama script options, assume 1 if not multi-node PP
    --sequence-parallel  # Always enable sequence parallelism with TP_SIZE=2
)
DDP_ARGS=(
    --use-distributed-optimizer
    --overlap-grad-reduce
    --overlap-param-gather
)
TRAINING_ARGS+=("${DDP_ARGS[@]}")
DATA_ARGS_LIST=()
if [[ "$TOKENIZER_ARG" == "MOCK" ]] || [[ "$DATA_ARG" == "MOCK" ]] || [[ -z "$TOKENIZER_ARG" ]]; then
    DATA_ARGS_LIST+=(
        "--mock-data"
        "--tokenizer-type NullTokenizer"
        "--vocab-size 128256" 
        "--data-cache-path ${DATA_CACHE_PATH}"
        "--split '99,1,0'"
    )
else
    DATA_ARGS_LIST+=(
        "--data-path $DATA_ARG"
        "--tokenizer-type HuggingFaceTokenizer" 
        "--vocab-size 128256"
    )
fi
if [ ! -f "$PRETRAIN_SCRIPT_PATH" ]; then
    echo "Error: pretrain_gpt.py not found at $PRETRAIN_SCRIPT_PATH"
    exit 1
fi
torchrun ${DISTRIBUTED_ARGS[@]} \
    "$PRETRAIN_SCRIPT_PATH" \
    ${MODEL_ARGS[@]} \
    ${TRAINING_ARGS[@]} \
    ${DTYPE_ARGS[@]} \
    ${MODEL_PARALLEL_ARGS[@]} \
    ${DATA_ARGS_LIST[@]}
set +x
)SH";

TEST(LaunchScripts, MegatronLlama3Fp8ExampleComesInAsFp8) {
  ImportResult r = import_megatron({{"train_llama3_8b_h100_fp8.sh", kLlama3Fp8}}, ImportOptions{});
  ASSERT_TRUE(r.ok()) << r.errors.front();
  const ImportedJob& j = *r.job;
  // "--fp8-format hybrid" is one array item; ${DTYPE_ARGS[@]} unquoted splits it into flag and value.
  EXPECT_EQ(j.training.precision, Precision::kFp8);
  EXPECT_EQ(j.model->vocab, 128256);  // "--vocab-size 128256", the same way
  EXPECT_EQ(j.world, 8 * 1);          // --nproc_per_node $GPUS_PER_NODE x --nnodes $NUM_NODES
  EXPECT_EQ(j.plan.tp, 1);
  EXPECT_EQ(j.plan.dp, 8);
  EXPECT_FALSE(j.plan.sequence_parallel);  // forced off at TP 1 (arguments.py)
  EXPECT_EQ(j.plan.zero, 1);
  EXPECT_TRUE(j.plan.overlap_grad_reduce);  // from TRAINING_ARGS+=("${DDP_ARGS[@]}")
  EXPECT_TRUE(j.plan.grad_reduce_bf16);
  EXPECT_EQ(j.training.sequence_length, 8192);
  EXPECT_EQ(j.training.global_batch, 128);
  EXPECT_EQ(j.model->rope.theta, 1000000);
  // Llama-3-8B's shape: 8,030,261,248 parameters (docs/interfaces.md §5).
  EXPECT_DOUBLE_EQ(total_params(*j.model), 8030261248.0);
  EXPECT_FALSE(any_contains(r.warnings, "line "));        // every condition evaluated, nothing skipped
  EXPECT_FALSE(any_contains(r.warnings, "--data-path"));  // the real-data branch is not taken
}

// The parts of Megatron-LM d98e8a64 examples/megatron_fsdp/train_llama3_8b_fsdp_h100_fp8.sh that
// differ from the script above: Megatron-FSDP behind USE_MEGATRON_FSDP, the nsys branch behind
// NSYS_PROFILE=0, and a `python -m torch.distributed.run` launch behind an optional uv prefix.
const char* const kLlama3FsdpFp8 = R"SH(#!/bin/bash
GPUS_PER_NODE=8
NUM_NODES=1
NODE_RANK=${NODE_RANK:-0}
PRETRAIN_SCRIPT_PATH="pretrain_gpt.py"
NSYS_PROFILE=${NSYS_PROFILE:-0}
USE_UV=${USE_UV:-1}
if [ "${USE_UV}" = 1 ]; then
    VENV_PREFIX="uv run"
else
    VENV_PREFIX=""
fi
USE_MEGATRON_FSDP=${USE_MEGATRON_FSDP:-1}
SHARDING_STRATEGY=${SHARDING_STRATEGY:-"optim_grads_params"}
DTYPE="fp8"
DISTRIBUTED_ARGS=(
    --nproc_per_node $GPUS_PER_NODE
    --nnodes $NUM_NODES
    --node_rank $NODE_RANK
)
MODEL_ARGS=(
    --num-layers 32
    --hidden-size 4096
    --ffn-hidden-size 14336
    --num-attention-heads 32
    --group-query-attention
    --num-query-groups 8
    --seq-length 8192
    --max-position-embeddings 8192
    --position-embedding-type rope
    --swiglu
    --normalization RMSNorm
    --untie-embeddings-and-output-weights
    --disable-bias-linear
)
TRAINING_ARGS=(
    --micro-batch-size 1
    --global-batch-size 128
    --bf16
)
if [ "${USE_MEGATRON_FSDP}" = 1 ]; then
    unset CUDA_DEVICE_MAX_CONNECTIONS
    TRAINING_ARGS=(
        "${TRAINING_ARGS[@]}"
        --use-megatron-fsdp
        --data-parallel-sharding-strategy ${SHARDING_STRATEGY}
        --no-gradient-accumulation-fusion
        # --num-distributed-optimizer-instances 2
    )
fi
DTYPE_ARGS=()
if [[ "$DTYPE" == "fp8" ]]; then
    DTYPE_ARGS+=(
        "--fp8-format hybrid"
        "--fp8-param-gather"
    )
fi
DDP_ARGS=(
    --overlap-grad-reduce
    --overlap-param-gather
)
TRAINING_ARGS+=("${DDP_ARGS[@]}")
DATA_ARGS_LIST=("--mock-data" "--vocab-size 128256")
if [ "${NSYS_PROFILE}" = 1 ]; then
    TRAINING_ARGS+=(
        --profile
        --profile-step-start 8
    )
    PROFILE_CMD=(
        nsys profile
        -f true -x true -o "$NSYS_PROFILE_PATH"
    )
else
    PROFILE_CMD=()
fi
$VENV_PREFIX "${PROFILE_CMD[@]}" python -m torch.distributed.run ${DISTRIBUTED_ARGS[@]} \
    "$PRETRAIN_SCRIPT_PATH" \
    ${MODEL_ARGS[@]} \
    ${TRAINING_ARGS[@]} \
    ${DTYPE_ARGS[@]} \
    ${DATA_ARGS_LIST[@]}
)SH";

TEST(LaunchScripts, MegatronFsdpFp8ExampleComesInAsZero3Fp8) {
  ImportResult r = import_megatron({{"train_llama3_8b_fsdp_h100_fp8.sh", kLlama3FsdpFp8}}, ImportOptions{});
  ASSERT_TRUE(r.ok()) << r.errors.front();
  const ImportedJob& j = *r.job;
  EXPECT_EQ(j.training.precision, Precision::kFp8);
  EXPECT_EQ(j.plan.zero, 3);  // optim_grads_params
  EXPECT_TRUE(j.plan.overlap_grad_reduce);
  EXPECT_TRUE(j.plan.overlap_param_gather);
  EXPECT_EQ(j.world, 8);
  EXPECT_EQ(j.model->vocab, 128256);
  EXPECT_FALSE(any_contains(r.warnings, "--profile"));  // NSYS_PROFILE=0: the branch is not taken
  EXPECT_FALSE(any_contains(r.warnings, "line "));
}

// Megatron-LM d98e8a64 examples/mixtral/train_mixtral_8x7b_distributed.sh leaves the node count to
// Slurm: NNODES=${SLURM_NNODES:-"1"}. Outside the allocation that reads as one node; --gpus gives
// the world the job runs on, with a warning naming what the script would launch.
TEST(LaunchScripts, MixtralExampleTakesTheWorldFromGpus) {
  const std::string script = R"SH(
GPUS_PER_NODE=8
MASTER_ADDR=${MASTER_ADDR:-"localhost"}
NNODES=${SLURM_NNODES:-"1"}
NODE_RANK=${RANK:-"0"}
WORLD_SIZE=$(($GPUS_PER_NODE*$NNODES))
DISTRIBUTED_ARGS=(
    --nproc_per_node $GPUS_PER_NODE
    --nnodes $NNODES
    --node_rank $NODE_RANK
    --master_addr $MASTER_ADDR
)
MODEL_PARALLEL_ARGS=(
    --tensor-model-parallel-size 1
    --pipeline-model-parallel-size 4
    --expert-model-parallel-size 8
    --use-distributed-optimizer
    --sequence-parallel
)
TRAINING_ARGS=(
    --micro-batch-size 1
    --global-batch-size 256
    --seq-length 4096
    --bf16
)
if [ -n "${WANDB_API_KEY}" ]; then
    LOGGING_ARGS+=(
        --wandb-project ${WANDB_PROJECT:-"Mixtral"}
    )
fi
torchrun ${DISTRIBUTED_ARGS[@]} pretrain_gpt.py \
    ${MODEL_PARALLEL_ARGS[@]} \
    ${TRAINING_ARGS[@]} \
    ${LOGGING_ARGS[@]}
)SH";
  ImportOptions opt;
  opt.model = Json("mixtral-8x7b");
  opt.gpus = 64;
  ImportResult r = import_megatron({{"train_mixtral_8x7b_distributed.sh", script}}, opt);
  ASSERT_TRUE(r.ok()) << r.errors.front();
  EXPECT_EQ(r.job->world, 64);
  EXPECT_EQ(r.job->plan.pp, 4);
  EXPECT_EQ(r.job->plan.ep, 8);
  EXPECT_EQ(r.job->plan.dp, 64 / 4);
  EXPECT_TRUE(any_contains(r.warnings, "torchrun launches 8 GPUs (--nnodes 1 x --nproc_per_node 8); --gpus 64 is used"));
  EXPECT_FALSE(any_contains(r.warnings, "--wandb-project"));  // WANDB_API_KEY unset
  // Without --gpus the script's own count is used.
  opt.gpus.reset();
  EXPECT_EQ(import_megatron({{"train_mixtral_8x7b_distributed.sh", script}}, opt).job->world, 8);
}

// A flag whose value is shell arithmetic is refused by name; arithmetic elsewhere is harmless.
TEST(LaunchScripts, ArithmeticInAFlagThatIsReadIsRefused) {
  const std::string script =
      "G=8\nN=2\nWORLD_SIZE=$(($G*$N))\n"
      "torchrun --nproc_per_node $G --nnodes $((N)) pretrain_gpt.py --num-layers 2 --hidden-size 256 --num-attention-heads 4 "
      "--vocab-size 100 --seq-length 128 --train-iters $((10*N))\n";
  ImportResult r = import_megatron({{"run.sh", script}}, ImportOptions{});
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.errors.size(), 2u);  // --nnodes; then no world size
  EXPECT_EQ(r.errors.front(), "run.sh: --nnodes: \"$((N))\" is shell arithmetic $((...)), which trainplan does not run: write the value");
}

// DeepSpeedExamples 45b4b715 training/pipeline_parallelism: run.sh is
//   deepspeed train.py --deepspeed_config=ds_config.json -p 2 --steps=200
// (train.py get_args: -p / --pipeline-parallel-size), and ds_config.json gives train_batch_size 256,
// train_micro_batch_size_per_gpu 8 and no gradient_accumulation_steps.
TEST(LaunchScripts, DeepSpeedPipelineExampleReadsPFromTheLaunchLine) {
  const std::string config = R"({"train_batch_size" : 256, "train_micro_batch_size_per_gpu" : 8,
    "optimizer": {"type": "Adam", "params": {"lr": 0.001, "betas": [0.9, 0.999], "eps": 1e-8}},
    "steps_per_print" : 10, "wall_clock_breakdown" : false})";
  ImportOptions opt;
  opt.model = Json("llama3-8b");
  opt.gpus = 8;
  opt.sequence_length = 2048;
  ImportResult r = import_deepspeed(
      {{"ds_config.json", config}, {"run.sh", "#!/bin/bash\n\ndeepspeed train.py --deepspeed_config=ds_config.json -p 2 --steps=200\n"}},
      opt);
  ASSERT_TRUE(r.ok()) << r.errors.front();
  EXPECT_EQ(r.job->plan.pp, 2);
  EXPECT_EQ(r.job->plan.dp, 8 / 2);
  EXPECT_EQ(r.job->training.global_batch, 256);
  EXPECT_EQ(r.job->plan.micro_batch, 8);
  EXPECT_EQ(r.job->training.global_batch / (r.job->plan.micro_batch * r.job->plan.dp), 8);  // gradient accumulation 256 / (8 x 4)
}

// An activation_checkpointing block alone turns nothing on (the model code must call
// deepspeed.checkpointing); with Megatron-DeepSpeed's switches on the launch line it is full recompute.
TEST(LaunchScripts, DeepSpeedCheckpointingBlockNeedsTheModelsSwitches) {
  const std::string config = R"({"train_batch_size": 64, "train_micro_batch_size_per_gpu": 1, "gradient_accumulation_steps": 8,
    "bf16": {"enabled": true}, "zero_optimization": {"stage": 1},
    "activation_checkpointing": {"partition_activations": false, "cpu_checkpointing": false}})";
  ImportOptions opt;
  opt.model = Json("llama3-8b");
  opt.gpus = 8;
  opt.sequence_length = 4096;
  ImportResult alone = import_deepspeed({{"ds_config.json", config}}, opt);
  ASSERT_TRUE(alone.ok());
  EXPECT_EQ(alone.job->plan.recompute, Recompute::kNone);
  EXPECT_TRUE(any_contains(alone.warnings, "read as no recompute"));
  ImportResult with =
      import_deepspeed({{"ds_config.json", config},
                        {"launch.sh", "deepspeed pretrain_gpt.py --checkpoint-activations --deepspeed-activation-checkpointing\n"}},
                       opt);
  ASSERT_TRUE(with.ok());
  EXPECT_EQ(with.job->plan.recompute, Recompute::kFull);
}

}  // namespace
}  // namespace trainplan::exporter
