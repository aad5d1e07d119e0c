// Where a plan puts each layer: the chunks (virtual stages) of every pipeline rank with their
// decoder layers, the embedding, the loss (final norm and output layer) and MTP modules, as
// Megatron-Core builds them (Megatron-LM d98e8a64):
//   - an explicit layout (plan `pipeline_layout`, --pipeline-model-parallel-layout):
//     pipeline_parallel_layer_layout.py, validated as validate_layer_layout does;
//   - the embedding and/or the loss counted as a layer of the split (`account_for_embedding`,
//     `account_for_loss`; --account-for-{embedding,loss}-in-pipeline-split): (L + e + l) layers
//     split evenly over pp ranks and their v chunks, the first chunk of rank 0 holding the
//     embedding in place of a layer and the last chunk of the last rank the loss
//     (transformer_block.py get_num_layers_to_build, transformer_config.py L2370-2415);
//   - uneven first/last ranks (`first_stage_layers`, `last_stage_layers`;
//     --decoder-{first,last}-pipeline-num-layers): those counts, the rest evenly over the middle
//     ranks, each rank's layers split evenly over its v chunks (transformer_config.py L2290-2370);
//   - else L layers evenly over pp · v chunks.
// Decoder layers are numbered in chunk order: chunk (rank r, virtual stage j) is chunk j·pp + r of
// the flat list and follows all chunks before it (get_layer_offset, transformer_layer.py
// get_transformer_layer_offset). Without a layout the MTP modules sit in the last chunk of the last
// rank, with the loss (gpt_model.py builds MTP in the post-process stage).
//
//   if (std::string why = layout_error(model, plan); !why.empty()) refuse(why);
//   const PipelineLayout l = plan_layout(model, plan);
//   l.at(0, 0).embedding   // true
#pragma once

#include <string>
#include <vector>

#include "model/spec/job.hpp"

namespace trainplan {

struct LayoutChunk {
  int first_layer = 0;  // id of its first decoder layer
  int layers = 0;       // decoder layers
  bool embedding = false;
  bool loss = false;
  int mtp = 0;  // MTP modules
};

struct PipelineLayout {
  int pp = 1, vpp = 1;
  std::vector<LayoutChunk> chunks;  // Megatron's flat order: (rank r, virtual stage j) at j·pp + r
  [[nodiscard]] const LayoutChunk& at(int rank, int virtual_stage) const { return chunks[static_cast<size_t>(virtual_stage) * pp + rank]; }
};

// Model chunks per pipeline rank that the plan runs: its virtual stages with the interleaved
// schedule at pp > 1, else 1.
int chunks_per_rank(const PlanSpec& p);

// Why Megatron would not build the plan's layer placement for this model, with what it expects
// ("" when it would). The messages follow Megatron's own checks, cited in the .cpp.
std::string layout_error(const ModelSpec& m, const PlanSpec& p);

// The placement of a plan that layout_error accepts.
PipelineLayout plan_layout(const ModelSpec& m, const PlanSpec& p);

}  // namespace trainplan
