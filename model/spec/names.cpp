#include "model/spec/hardware.hpp"
#include "model/spec/job.hpp"
#include "model/spec/model_spec.hpp"

namespace trainplan {

const char* precision_name(Precision p) {
  switch (p) {
    case Precision::kFp32: return "fp32";
    case Precision::kTf32: return "tf32";
    case Precision::kBf16: return "bf16";
    case Precision::kFp16: return "fp16";
    case Precision::kFp8: return "fp8";
  }
  return "?";
}
bool supports_tp_comm_overlap(const GpuSpec& g) {
  return g.architecture == "ampere" || g.architecture == "hopper" || g.architecture == "blackwell";
}

const char* scale_up_name(ScaleUpKind k) {
  switch (k) {
    case ScaleUpKind::kNvSwitch: return "nvswitch";
    case ScaleUpKind::kNvLink: return "nvlink";
    case ScaleUpKind::kNvl72: return "nvl72";
    case ScaleUpKind::kInfinityFabric: return "infinity-fabric";
    case ScaleUpKind::kPcie: return "pcie";
  }
  return "?";
}
const char* topology_name(TopologyKind k) { return k == TopologyKind::kFatTree ? "fat-tree" : "rail-optimized"; }
const char* activation_name(Activation a) {
  switch (a) {
    case Activation::kGelu: return "gelu";
    case Activation::kSwiglu: return "swiglu";
    case Activation::kRelu: return "relu";
    case Activation::kSquaredRelu: return "squared-relu";
  }
  return "?";
}
const char* rope_scaling_name(RopeScaling s) {
  switch (s) {
    case RopeScaling::kNone: return "none";
    case RopeScaling::kLlama3: return "llama3";
    case RopeScaling::kYarn: return "yarn";
  }
  return "?";
}
const char* router_score_name(RouterScore s) { return s == RouterScore::kSigmoid ? "sigmoid" : "softmax"; }
const char* schedule_name(Schedule s) {
  switch (s) {
    case Schedule::kGpipe: return "gpipe";
    case Schedule::k1F1B: return "1f1b";
    case Schedule::kInterleaved: return "interleaved";
    case Schedule::kZeroBubble: return "zero-bubble";
  }
  return "?";
}
const char* recompute_name(Recompute r) {
  switch (r) {
    case Recompute::kNone: return "none";
    case Recompute::kSelective: return "selective";
    case Recompute::kFull: return "full";
  }
  return "?";
}
const char* attention_backend_name(AttentionBackend a) {
  switch (a) {
    case AttentionBackend::kAuto: return "auto";
    case AttentionBackend::kFlash: return "flash";
    case AttentionBackend::kUnfused: return "unfused";
  }
  return "?";
}
const char* offload_device_name(OffloadDevice d) {
  switch (d) {
    case OffloadDevice::kNone: return "none";
    case OffloadDevice::kCpu: return "cpu";
    case OffloadDevice::kNvme: return "nvme";
  }
  return "?";
}
const char* fsdp_name(Fsdp f) {
  switch (f) {
    case Fsdp::kNone: return "none";
    case Fsdp::kFullShard: return "full_shard";
    case Fsdp::kHybridShard: return "hybrid_shard";
  }
  return "?";
}

}  // namespace trainplan
