// Words of a bash script or argument list as the shell would pass them: backslash-newline
// continuations joined, comments dropped, quotes removed, NAME=value assignments remembered and
// $NAME / ${NAME} / ${NAME:-default} expanded; array brackets and unresolved expansions dropped.
//
//   auto words = shell_words("N=8\ntorchrun --nproc_per_node $N \\\n  pretrain_gpt.py --bf16");
//   // {"torchrun", "--nproc_per_node", "8", "pretrain_gpt.py", "--bf16"}
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace trainplan::exporter {

std::vector<std::string> shell_words(std::string_view text);

// Flags and their values: "--flag v1 v2" and "--flag=v". A value list ends at the next word that
// starts with "-" (and is not a negative number) or names a program (*.py, torchrun, deepspeed, ...).
struct ParsedFlags {
  std::vector<std::pair<std::string, std::vector<std::string>>> flags;  // in order, repeats kept
  [[nodiscard]] bool has(std::string_view flag) const;
  // The last value given to the flag, or nullptr.
  [[nodiscard]] const std::string* value(std::string_view flag) const;
};
ParsedFlags parse_flags(const std::vector<std::string>& words);

}  // namespace trainplan::exporter
