#include "model/spec/spec_json.hpp"

#include <cmath>

namespace trainplan {

Json model_to_json(const ModelSpec& m) {
  Json j;
  j["name"] = m.name.empty() ? "Imported model" : m.name;
  j["layers"] = m.layers;
  j["hidden"] = m.hidden;
  j["heads"] = m.heads;
  j["kv_heads"] = m.kv_heads;
  j["head_dim"] = m.head_dim;
  j["ffn_hidden"] = m.ffn_hidden;
  j["activation"] = activation_name(m.activation);
  j["vocab"] = m.vocab;
  j["tied_embeddings"] = m.tied_embeddings;
  j["max_sequence"] = m.max_sequence;
  j["qkv_bias"] = m.qkv_bias;
  j["linear_bias"] = m.linear_bias;
  j["norm"] = m.layernorm ? "layernorm" : "rmsnorm";
  j["positions"] = m.learned_positions ? "learned" : "rope";
  if (m.mtp_layers > 0) j["mtp_layers"] = m.mtp_layers;
  if (!m.learned_positions && m.rope != RopeSpec{}) {
    Json q;
    q["theta"] = m.rope.theta;
    if (m.rope.scaling != RopeScaling::kNone) {
      q["scaling"] = rope_scaling_name(m.rope.scaling);
      q["factor"] = m.rope.factor;
    }
    j["rope"] = q;
  }
  if (m.moe) {
    Json e;
    e["experts"] = m.moe->experts;
    e["top_k"] = m.moe->top_k;
    e["expert_ffn_hidden"] = m.moe->expert_ffn_hidden;
    if (m.moe->shared_experts > 0) {
      e["shared_experts"] = m.moe->shared_experts;
      e["shared_ffn_hidden"] = m.moe->shared_ffn_hidden;
    }
    if (m.moe->dense_layers > 0) e["dense_layers"] = m.moe->dense_layers;
    if (m.moe->router_bias) e["router_bias"] = true;
    if (m.moe->score != RouterScore::kSoftmax) e["score"] = router_score_name(m.moe->score);
    if (m.moe->aux_loss_coeff > 0) e["aux_loss_coeff"] = m.moe->aux_loss_coeff;
    j["moe"] = e;
  }
  if (m.mla) {
    Json a;
    if (m.mla->q_lora_rank > 0) a["q_lora_rank"] = m.mla->q_lora_rank;
    a["kv_lora_rank"] = m.mla->kv_lora_rank;
    a["qk_nope_head_dim"] = m.mla->qk_nope_head_dim;
    a["qk_rope_head_dim"] = m.mla->qk_rope_head_dim;
    a["v_head_dim"] = m.mla->v_head_dim;
    j["mla"] = a;
  }
  return j;
}

Json training_to_json(const TrainingSpec& t) {
  Json j;
  j["global_batch"] = t.global_batch;
  j["sequence_length"] = t.sequence_length;
  j["precision"] = precision_name(t.precision);
  j["optimizer"] = t.optimizer == Optimizer::kSgd ? "sgd" : "adam";
  if (t.token_budget > 0) j["token_budget"] = t.token_budget;
  if (t.framework != Framework::kUnstated) j["framework"] = framework_name(t.framework);
  if (!t.framework_version.empty()) j["framework_version"] = t.framework_version;
  return j;
}

namespace {

// Fractions rounded to 6 significant digits, so that outputs are byte-identical across platforms.
double r6(double v) { return round_significant(v, 6); }

}  // namespace

Json::json_pointer path_pointer(std::string_view path) {
  std::string pointer(1, '/');  // appended, not "/" + path: GCC 12 warns falsely (-Wrestrict) on the latter
  pointer += path;
  return Json::json_pointer(pointer);
}

Json knob_json(const KnobDecl& k, const PlanSpec& p) {
  const double v = k.get(p);
  if (!k.names.empty()) return std::string(name_of(k.names, static_cast<int>(v)));
  switch (k.type) {
    case KnobType::kInt: return static_cast<long long>(v);
    case KnobType::kBool: return v != 0;
    case KnobType::kFraction: return r6(v);
    case KnobType::kText: return std::string(k.text(p));
    case KnobType::kChoice: break;
  }
  return nullptr;
}

Json plan_to_json(const PlanSpec& p) {
  Json j = Json::object();
  for (const KnobDecl& k : kPlanKnobs) {
    if (!k.written_at_default && k.get(p) == k.default_of(p)) continue;
    j[path_pointer(k.path)] = knob_json(k, p);
  }
  return j;
}

}  // namespace trainplan
