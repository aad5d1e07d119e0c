// A bash launch script read the way bash would run it, as far as a launch needs: the words of its
// launch commands (torchrun / python / deepspeed / srun ... or a bare flag list), after
//   - quotes, backslash escapes and backslash-newline continuations, comments;
//   - NAME=value, NAME+=value, export / declare / local, unset; arrays NAME=(...), NAME+=(...),
//     "${NAME[@]}" (one word per element), ${NAME[@]} and $NAME unquoted (field-split on blanks,
//     so an array item "--fp8-format hybrid" becomes two words), ${NAME[i]}, ${#NAME[@]};
//   - ${NAME:-default}, ${NAME-default}, ${NAME:=default}, ${NAME:+alternative}; unset names and
//     positional parameters ($1) expand to nothing;
//   - if / elif / else / fi on [ ] and [[ ]] tests (=, ==, !=, -z, -n, -eq ... -ge, !, &&, ||);
//     file tests (-f, -d, -e ...) are taken as true, since the script runs where it was written;
//     other conditions are taken as true with a warning; && / || lists; exit stops the script.
// Not run (warned, or left for the reader to refuse): loops, case, functions (skipped with a
// warning), command substitution $(...) and `...`, arithmetic $((...)) — these stay as their
// literal text in the words, so that a flag value holding one is refused by name where it is read
// (unevaluated_construct).
//
//   ShellRead s = read_shell("N=8\nA=(--bf16 \"--fp8-format hybrid\")\ntorchrun --nproc_per_node $N pretrain_gpt.py ${A[@]}");
//   // s.words == {"torchrun", "--nproc_per_node", "8", "pretrain_gpt.py", "--bf16", "--fp8-format", "hybrid"}
// Bash semantics: GNU Bash Reference Manual §3.1.2 (quoting), §3.4 (parameters), §3.5.3 (parameter
// expansion), §3.5.7 (word splitting), §6.4 (conditional expressions), §6.7 (arrays).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trainplan::exporter {

struct ShellRead {
  std::vector<std::string> words;     // the launch commands' words, in order (all commands' words when none launches)
  std::vector<std::string> warnings;  // "line N: ..." for what was read approximately or skipped
};
ShellRead read_shell(std::string_view text);
// read_shell(text).words, for callers that need no warnings.
std::vector<std::string> shell_words(std::string_view text);

// What shell syntax a word still holds because trainplan does not run it ("shell arithmetic
// $((...))", "command substitution $(...)"), or nullopt.
std::optional<std::string> unevaluated_construct(std::string_view word);
// The importers' error for a flag whose value holds such syntax, or nullopt:
// "--nnodes: \"$((N))\" is shell arithmetic $((...)), which trainplan does not run: write the value".
std::optional<std::string> unevaluated_value_error(std::string_view flag, std::string_view value);

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
