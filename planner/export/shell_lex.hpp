// Tokens of a bash script (GNU Bash Reference Manual §3.1-3.2, §3.6): words made of quoted and
// unquoted parts, and the control operators a launch script uses. Expansion happens later
// (shell_script.cpp); here "$NAME", "${...}", "$(...)", "$((...))" and `...` stay as raw text
// inside their part. Redirections (>, >>, 2>&1, <<EOF heredocs) are dropped with their targets.
//
//   auto t = lex_shell("A=(x \"y z\")\necho $A > log");
//   // word "A=" (array_open), word x, word [y z](quoted), op ")", op "\n", word echo, word $A
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace trainplan::exporter {

struct ShellPart {
  std::string text;
  char quote = 0;  // 0 unquoted, '\'' single-quoted or backslash-escaped (literal), '"' double-quoted
};

struct ShellToken {
  bool is_op = false;
  std::vector<ShellPart> parts;  // a word
  std::string op;                // an operator: "\n" ";" ";;" "&" "&&" "||" "|" "(" ")"
  bool array_open = false;       // the word "NAME=" or "NAME+=" directly followed by "("
  int line = 1;
  // The word's text when it has no quoted part (keywords, assignments), else "".
  [[nodiscard]] std::string plain() const;
  [[nodiscard]] bool is(std::string_view op_or_word) const;
};

std::vector<ShellToken> lex_shell(std::string_view text);

// The index just past the construct that opens at text[open] ("$(" "${" "$((" or a backtick),
// honouring nesting and quotes inside; text.size() when it is not closed.
size_t skip_construct(std::string_view text, size_t open);

}  // namespace trainplan::exporter
