// Megatron's pipeline layout grammar (`--pipeline-model-parallel-layout`, the plan key
// `pipeline_layout`), read as Megatron reads it: Megatron-LM d98e8a64
// megatron/core/transformer/pipeline_parallel_layer_layout.py, parse_str_to_list. Chunks are
// separated by '|'; in a chunk 'E' is the embedding, 't' a transformer (decoder) layer, 'm' an MTP
// module, 'L' the loss (final norm and output layer); "x*n" repeats one character, "(...)*n" a
// group (not nested); commas are cosmetic. Chunk i of the flat list runs on pipeline rank i mod pp
// as its virtual stage i / pp.
//
//   std::string error;
//   auto l = parse_layout_text("Et*3|(tt|)*29,m|L", error);   // 32 chunks; l->chunks[0]: E and 3 t
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trainplan {

// What one chunk of the text holds.
struct LayoutChunkText {
  int decoder = 0;    // 't'
  int embedding = 0;  // 'E'
  int loss = 0;       // 'L'
  int mtp = 0;        // 'm'
  friend bool operator==(const LayoutChunkText&, const LayoutChunkText&) = default;
};

struct LayoutText {
  std::string flat;                     // the unrolled text without commas ("Ettt|tt|...|m|L")
  std::vector<LayoutChunkText> chunks;  // in Megatron's flat order
};

// `text` unrolled into its chunks, or nullopt with `error` saying what is wrong (a character
// outside "E t m L | ( ) * , digits", an unclosed or nested group, a repeat without a count, or
// more than kMaxLayoutChunks chunks).
std::optional<LayoutText> parse_layout_text(std::string_view text, std::string& error);

// Bound on the chunks a layout may unroll to (a typo such as "(t|)*100000000" is refused, not
// allocated): far above pp 128 x 16 virtual stages.
inline constexpr long long kMaxLayoutChunks = 1 << 16;

}  // namespace trainplan
