// The bash reader of launch scripts (planner/export/shell_args.hpp). Each expectation is what bash
// 5 prints for the same script with `printf '%s\n' "$@"` in place of the launcher.
#include <gtest/gtest.h>

#include <random>

#include "planner/export/shell_args.hpp"

namespace trainplan::exporter {
namespace {

using Words = std::vector<std::string>;

bool warned(const ShellRead& s, const std::string& part) {
  for (const auto& w : s.warnings)
    if (w.find(part) != std::string::npos) return true;
  return false;
}

TEST(ShellScript, UnquotedArrayItemsAreFieldSplitQuotedOnesAreNot) {
  const std::string script =
      "A=(\n  --bf16\n  \"--fp8-format hybrid\"   # one element\n)\n"
      "torchrun x.py ${A[@]}\n"
      "torchrun y.py \"${A[@]}\"\n";
  EXPECT_EQ(shell_words(script),
            (Words{"torchrun", "x.py", "--bf16", "--fp8-format", "hybrid", "torchrun", "y.py", "--bf16", "--fp8-format hybrid"}));
}

TEST(ShellScript, AppendsCopiesIndexesAndLengths) {
  const std::string script =
      "T=(--a 1)\nT+=(--b)\nT=(\"${T[@]}\" --c)\nS=x\nS+=y\n"
      "python run.py ${T[@]} ${T[1]} ${#T[@]} $S\n";
  EXPECT_EQ(shell_words(script), (Words{"python", "run.py", "--a", "1", "--b", "--c", "1", "4", "xy"}));
}

TEST(ShellScript, DefaultsAlternativesAndUnsetNames) {
  const std::string script =
      "N=${SLURM_NNODES:-\"2\"}\nE=\nF=${E:-empty}\nG=${E-set}\nH=${N:+alt}\n: ${K:=7}\n"
      "torchrun --nnodes $N x.py $F \"$G\" $H $K $UNSET \"$1\"\n";
  // "$G" is the empty string E holds (${E-set} only replaces an unset E); "$1" is one empty word.
  EXPECT_EQ(shell_words(script), (Words{"torchrun", "--nnodes", "2", "x.py", "empty", "", "alt", "7", ""}));
}

TEST(ShellScript, IfElifElseOnTests) {
  const std::string script =
      "DTYPE=fp8\nUSE=${USE:-1}\nARGS=()\n"
      "if [[ \"$DTYPE\" == \"fp8\" ]]; then\n  ARGS+=(\"--fp8-format hybrid\")\nfi\n"
      "if [ \"${USE}\" = 0 ]; then ARGS+=(--zero); elif [ -z \"$MISSING\" ] && [ 3 -gt 2 ]; then ARGS+=(--elif); else ARGS+=(--else); fi\n"
      "if [[ -z \"$X\" ]] || [[ $DTYPE != fp8 ]]; then ARGS+=(--or); fi\n"
      "if [ ! -f \"pretrain_gpt.py\" ]; then\n  echo missing\n  exit 1\nfi\n"
      "torchrun pretrain_gpt.py ${ARGS[@]}\n";
  const ShellRead s = read_shell(script);
  EXPECT_EQ(s.words, (Words{"torchrun", "pretrain_gpt.py", "--fp8-format", "hybrid", "--elif", "--or"}));
  EXPECT_TRUE(s.warnings.empty()) << s.warnings.front();
}

TEST(ShellScript, ExitStopsTheScript) {
  EXPECT_EQ(shell_words("torchrun a.py --x\nexit 0\ntorchrun b.py --y\n"), (Words{"torchrun", "a.py", "--x"}));
  EXPECT_EQ(shell_words("[ 1 -eq 2 ] || exit 1\ntorchrun a.py\n"), Words{});
}

TEST(ShellScript, OnlyLaunchCommandsGiveWordsUnlessThereIsNone) {
  const std::string script = "set -euo pipefail\nmkdir -p \"$(dirname \"$CKPT\")\"\necho \"-p 9\" > log 2>&1\ndeepspeed train.py -p 2\n";
  EXPECT_EQ(shell_words(script), (Words{"deepspeed", "train.py", "-p", "2"}));
  EXPECT_EQ(shell_words("--num-layers 2\n--bf16\n"), (Words{"--num-layers", "2", "--bf16"}));
}

TEST(ShellScript, CommandSubstitutionAndArithmeticStayLiteralAndAreNamed) {
  const Words w = shell_words("G=8\nW=$(($G*2))\ntorchrun --nproc_per_node $(nproc) x.py --world $W\n");
  EXPECT_EQ(w, (Words{"torchrun", "--nproc_per_node", "$(nproc)", "x.py", "--world", "$(($G*2))"}));
  EXPECT_EQ(unevaluated_construct(w[2]), "command substitution $(...)");
  EXPECT_EQ(unevaluated_construct(w[5]), "shell arithmetic $((...))");
  EXPECT_EQ(unevaluated_construct("8"), std::nullopt);
}

TEST(ShellScript, UnrunConstructsAreWarnedWithTheirLine) {
  const ShellRead s = read_shell("for i in 1 2; do\n  torchrun a.py\ndone\nf() { torchrun b.py; }\ncase $X in a) ;; esac\ntorchrun c.py\n");
  EXPECT_EQ(s.words, (Words{"torchrun", "c.py"}));
  EXPECT_TRUE(warned(s, "line 1: a \"for\" block is not run"));
  EXPECT_TRUE(warned(s, "line 4: a function definition"));
  EXPECT_TRUE(warned(s, "line 5: a \"case\" block"));
}

TEST(ShellScript, QuotesEscapesAndHeredocs) {
  const std::string script = "cat <<EOF > notes\ntorchrun fake.py\nEOF\ntorchrun x.py --a 'b c' \"d\\\"e\" f\\ g\n";
  EXPECT_EQ(shell_words(script), (Words{"torchrun", "x.py", "--a", "b c", "d\"e", "f g"}));
}

// Arbitrary text (shell punctuation, quotes and keywords mixed at random, fixed seed) is read to
// the end: every call returns, whatever the nesting or the unbalanced quotes (ASan in CI checks
// the memory).
TEST(ShellScript, ArbitraryTextAlwaysReturns) {
  const std::vector<std::string> pieces = {
      "$",    "${", "}",  "$(",   "$((", ")",    "(",      "`",    "'",        "\"",  "\\", "\n",      ";",
      ";;",   "&&", "||", "|",    "&",   ">",    "<<",     "2>&1", "#",        " ",   "=",  "+=",      "[@]",
      "[[",   "]]", "[",  "]",    "if",  "then", "elif",   "else", "fi",       "for", "do", "done",    "case",
      "esac", "{",  ":-", "exit", "A",   "B=",   "--flag", "x.py", "torchrun", "-p",  "2",  "${A[@]}", "\"${A[@]}\""};
  std::mt19937 rng(20261203);
  size_t words = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text;
    const int n = static_cast<int>(rng() % 40);
    for (int k = 0; k < n; ++k) text += pieces[rng() % pieces.size()];
    words += read_shell(text).words.size();
  }
  EXPECT_GT(words, 0u);  // some of them launch something
}

}  // namespace
}  // namespace trainplan::exporter
