#include "model/spec/architecture.hpp"
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
  const Architecture* a = find_architecture(g.architecture);
  return a && a->userbuffers_overlap;
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

}  // namespace trainplan
