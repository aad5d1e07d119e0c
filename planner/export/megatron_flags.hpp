// The one copy, as data, of the Megatron-LM pretrain_gpt.py flags trainplan writes or reads
// (docs/interfaces.md §1.2 and its model-shape list; core_v0.15.3 megatron/training/arguments.py).
//
//   if (!is_megatron_flag("--num-layers")) ...;
//   for (std::string_view f : megatron_flags()) ...;
//
// The exporter's test checks that every flag it writes is listed here, so a misspelt or invented
// flag (such as the nonexistent --virtual-pipeline-model-parallel-size) cannot ship.
#pragma once

#include <span>
#include <string_view>

namespace trainplan::exporter {

std::span<const std::string_view> megatron_flags();
bool is_megatron_flag(std::string_view flag);

}  // namespace trainplan::exporter
