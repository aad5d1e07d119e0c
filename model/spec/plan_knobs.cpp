#include "model/spec/plan_knobs.hpp"

#include <cmath>
#include <cstdio>

#include "model/spec/pipeline_layout_text.hpp"

namespace trainplan {

std::string name_choices(NameTable names) {
  std::string out;
  for (const NameEntry& e : names) out += (out.empty() ? "\"" : ", \"") + std::string(e.name) + "\"";
  return out;
}

namespace {
template <class E>
const char* enum_name(NameTable names, E v) {
  return name_of(names, static_cast<int>(v)).data();  // the tables hold string literals
}
}  // namespace

const char* schedule_name(Schedule s) { return enum_name(kScheduleNames, s); }
const char* recompute_name(Recompute r) { return enum_name(kRecomputeNames, r); }
const char* offload_device_name(OffloadDevice d) { return enum_name(kOffloadDeviceNames, d); }
const char* fsdp_name(Fsdp f) { return enum_name(kFsdpNames, f); }
const char* attention_backend_name(AttentionBackend a) { return enum_name(kAttentionBackendNames, a); }

const KnobDecl* find_knob(std::string_view name) {
  for (const KnobDecl& k : kPlanKnobs)
    if (k.name == name) return &k;
  return nullptr;
}

std::string knob_text(const KnobDecl& k, const PlanSpec& p) {
  const double v = k.get(p);
  switch (k.type) {
    case KnobType::kInt: return std::to_string(static_cast<long long>(v));
    case KnobType::kBool: return v != 0 ? "true" : "false";
    case KnobType::kChoice: return std::string(name_of(k.names, static_cast<int>(v)));
    case KnobType::kFraction: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.6g", v);
      return buf;
    }
    case KnobType::kText: return std::string(k.text(p));
  }
  return "?";
}

double layout_virtual_stages(const PlanSpec& p) {
  if (p.pipeline_layout.empty() || p.pp < 1) return 1;
  std::string error;
  const std::optional<LayoutText> l = parse_layout_text(p.pipeline_layout, error);
  if (!l || l->chunks.size() % static_cast<size_t>(p.pp) != 0) return 1;
  return static_cast<double>(l->chunks.size() / static_cast<size_t>(p.pp));
}

LayerCostKey layer_cost_key(const PlanSpec& p) {
  LayerCostKey key{};
  size_t i = 0;
  for (const KnobDecl& k : kPlanKnobs)
    if (k.layer_cost) key[i++] = k.get(p);
  return key;
}

void normalize_plan(PlanSpec& p) {
  if (p.tp == 1) p.sequence_parallel = false;  // Megatron turns sequence parallelism off at TP 1
}

}  // namespace trainplan
