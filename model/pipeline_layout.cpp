#include "model/pipeline_layout.hpp"

#include <algorithm>

#include "model/spec/pipeline_layout_text.hpp"

namespace trainplan {

namespace {

std::string num(long long v) { return std::to_string(v); }

// An explicit layout: Megatron-LM d98e8a64 training/arguments.py L941-952 (the chunk count a
// multiple of pp; the virtual stages follow from it) and
// core/transformer/pipeline_parallel_layer_layout.py validate_layer_layout.
std::string explicit_layout_error(const ModelSpec& m, const PlanSpec& p, const LayoutText& l) {
  const long long n = static_cast<long long>(l.chunks.size());
  if (n % p.pp != 0) return "expected a layout of a multiple of pp " + num(p.pp) + " chunks, got " + num(n) + " (arguments.py L945)";
  const long long v = n / p.pp;
  if (v != chunks_per_rank(p))
    return "the layout's " + num(n) + " chunks over pp " + num(p.pp) + " are " + num(v) + " virtual stages: expected virtual_stages " +
           num(v) + (v > 1 ? " with the interleaved schedule" : "") + " (arguments.py L950)";
  std::string seq;
  for (char c : l.flat)
    if (c != '|') seq += c;
  if (seq.empty() || seq.front() != 'E') return "expected the layout's first layer to be the embedding \"E\"";
  if (seq.back() != 'L') return "expected the layout's last layer to be the loss \"L\"";
  const auto count = [&](char c) { return static_cast<long long>(std::count(seq.begin(), seq.end(), c)); };
  if (count('E') != 1) return "expected the embedding \"E\" exactly once";
  if (count('L') != 1) return "expected the loss \"L\" exactly once";
  if (count('t') != m.layers)
    return "expected the layout's transformer layers \"t\" (" + num(count('t')) + ") to match the model's " + num(m.layers) + " layers";
  if (count('m') != m.mtp_layers)
    return "expected the layout's MTP modules \"m\" (" + num(count('m')) + ") to match the model's mtp_layers " + num(m.mtp_layers);
  const size_t first_mtp = seq.find('m');
  if (first_mtp != std::string::npos && seq.find('t', first_mtp) != std::string::npos)
    return "expected every transformer layer \"t\" before the MTP modules \"m\"";
  for (long long i = 0; i < n; ++i)
    if (l.chunks[i].mtp > 0 && (i / p.pp != v - 1 || l.chunks[i].mtp != m.mtp_layers))
      return "expected all MTP modules \"m\" in one chunk, the last virtual stage of its rank (validate_layer_layout)";
  return "";
}

// Uneven first/last ranks: transformer_config.py L2290-2370 (__post_init__).
std::string uneven_error(const ModelSpec& m, const PlanSpec& p) {
  if (p.account_for_embedding || p.account_for_loss)
    return "expected first_stage_layers and last_stage_layers without account_for_embedding and account_for_loss (Megatron "
           "transformer_config.py L2235 refuses them together)";
  if (p.pp == 1) return "expected pp > 1 with uneven stages";
  const int v = chunks_per_rank(p);
  if (p.first_stage_layers % v != 0)
    return "the first stage's " + num(p.first_stage_layers) + " layers do not split into " + num(v) +
           " virtual stages (transformer_config.py L2312)";
  if (p.last_stage_layers % v != 0)
    return "the last stage's " + num(p.last_stage_layers) + " layers do not split into " + num(v) +
           " virtual stages (transformer_config.py L2331)";
  const int uneven = (p.first_stage_layers > 0) + (p.last_stage_layers > 0);
  const long long middle = static_cast<long long>(m.layers) - p.first_stage_layers - p.last_stage_layers;
  const int middle_stages = p.pp - uneven;
  if (middle < 0 || (middle > 0) != (middle_stages > 0) || (middle_stages > 0 && middle % (static_cast<long long>(middle_stages) * v) != 0))
    return "expected the " + num(middle) + " layers outside the uneven first/last stages to split evenly over " + num(middle_stages) +
           " stages x " + num(v) + " virtual stages";
  return "";
}

// The embedding and loss counted as layers, or neither: transformer_config.py L2370-2415 and
// arguments.py L987-998.
std::string even_error(const ModelSpec& m, const PlanSpec& p) {
  const long long n = static_cast<long long>(m.layers) + p.account_for_embedding + p.account_for_loss;
  const int v = chunks_per_rank(p);
  const char* counted = p.account_for_embedding || p.account_for_loss ? " (with the embedding and loss counted as account_for_* says)" : "";
  if (n % (static_cast<long long>(p.pp) * v) != 0)
    return "expected the " + num(n) + " layers" + counted + " to split evenly over pp " + num(p.pp) + " x " + num(v) + " virtual stages";
  return "";
}

// Each rank's layers split into v equal chunks; the embedding (loss) takes a layer's place in the
// first (last) chunk when counted (get_num_layers_to_build).
PipelineLayout split_layout(const ModelSpec& m, const PlanSpec& p) {
  PipelineLayout l;
  l.pp = p.pp;
  l.vpp = chunks_per_rank(p);
  const int uneven = (p.first_stage_layers > 0) + (p.last_stage_layers > 0);
  int per_rank = 0;
  if (uneven > 0) {
    per_rank = p.pp > uneven ? (m.layers - p.first_stage_layers - p.last_stage_layers) / (p.pp - uneven) : 0;
  } else {
    per_rank = (m.layers + p.account_for_embedding + p.account_for_loss) / p.pp;
  }
  l.chunks.resize(static_cast<size_t>(l.pp) * l.vpp);
  for (int j = 0; j < l.vpp; ++j)
    for (int r = 0; r < l.pp; ++r) {
      int rank_layers = per_rank;
      if (r == 0 && p.first_stage_layers > 0) rank_layers = p.first_stage_layers;
      if (r == p.pp - 1 && p.last_stage_layers > 0) rank_layers = p.last_stage_layers;
      LayoutChunk& c = l.chunks[static_cast<size_t>(j) * l.pp + r];
      c.layers = rank_layers / l.vpp;
      c.embedding = r == 0 && j == 0;
      c.loss = r == p.pp - 1 && j == l.vpp - 1;
      if (c.embedding && p.account_for_embedding) --c.layers;
      if (c.loss && p.account_for_loss) --c.layers;
      if (c.loss) c.mtp = m.mtp_layers;
    }
  return l;
}

PipelineLayout text_layout(const PlanSpec& p, const LayoutText& t) {
  PipelineLayout l;
  l.pp = p.pp;
  l.vpp = static_cast<int>(t.chunks.size()) / p.pp;
  l.chunks.reserve(t.chunks.size());
  for (const LayoutChunkText& c : t.chunks) l.chunks.push_back({0, c.decoder, c.embedding > 0, c.loss > 0, c.mtp});
  return l;
}

}  // namespace

int chunks_per_rank(const PlanSpec& p) { return p.pp > 1 && p.schedule == Schedule::kInterleaved ? std::max(1, p.virtual_stages) : 1; }

std::string layout_error(const ModelSpec& m, const PlanSpec& p) {
  if (p.pp < 1 || m.layers < 1) return "expected pp >= 1 and a model with layers";
  if (!p.pipeline_layout.empty()) {
    if (p.first_stage_layers > 0 || p.last_stage_layers > 0 || p.account_for_embedding || p.account_for_loss)
      return "expected pipeline_layout alone, without first_stage_layers, last_stage_layers, account_for_embedding or account_for_loss "
             "(Megatron transformer_config.py L2252 refuses them together)";
    std::string error;
    const std::optional<LayoutText> t = parse_layout_text(p.pipeline_layout, error);
    if (!t) return error;
    return explicit_layout_error(m, p, *t);
  }
  if (p.first_stage_layers > 0 || p.last_stage_layers > 0) return uneven_error(m, p);
  return even_error(m, p);
}

PipelineLayout plan_layout(const ModelSpec& m, const PlanSpec& p) {
  PipelineLayout l;
  if (p.pp < 1) {  // no pipeline: one chunk with everything (layout_error refuses the plan)
    l.chunks.push_back({0, m.layers, true, true, m.mtp_layers});
    return l;
  }
  if (!p.pipeline_layout.empty()) {
    std::string error;
    const std::optional<LayoutText> t = parse_layout_text(p.pipeline_layout, error);
    if (t && t->chunks.size() % static_cast<size_t>(p.pp) == 0) l = text_layout(p, *t);
  }
  if (l.chunks.empty()) l = split_layout(m, p);
  int next = 0;  // decoder layer ids in chunk order
  for (LayoutChunk& c : l.chunks) {
    c.first_layer = next;
    next += c.layers;
  }
  return l;
}

}  // namespace trainplan
