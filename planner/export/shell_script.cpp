// Runs the parts of a bash script a launch needs (planner/export/shell_args.hpp): variables and
// arrays, parameter expansion with field splitting, if/elif/else on test expressions, && / ||,
// exit. Section numbers are the GNU Bash Reference Manual's.
#include <cctype>
#include <map>
#include <optional>

#include "planner/export/shell_args.hpp"
#include "planner/export/shell_lex.hpp"

namespace trainplan::exporter {

namespace {

enum class Status { kTrue, kFalse, kUnknown };

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n'; }

// Words of one expansion: quoted text joins the current field, unquoted expansion results are
// split on blanks (§3.5.7, IFS unset), "${A[@]}" gives one field per element.
class Fields {
 public:
  void literal(const std::string& s) {
    cur_ += s;
    has_ = true;
  }
  void split(const std::string& s) {
    for (size_t i = 0; i < s.size();) {
      if (is_blank(s[i])) {
        end_field();
        while (i < s.size() && is_blank(s[i])) ++i;
      } else {
        size_t j = i;
        while (j < s.size() && !is_blank(s[j])) ++j;
        literal(s.substr(i, j - i));
        i = j;
      }
    }
  }
  void elements(const std::vector<std::string>& e, bool quoted) {
    for (size_t k = 0; k < e.size(); ++k) {
      if (k > 0) end_field();
      if (quoted)
        literal(e[k]);
      else
        split(e[k]);
    }
  }
  std::vector<std::string> finish() {
    end_field();
    return std::move(fields_);
  }

 private:
  void end_field() {
    if (has_) fields_.push_back(cur_);
    cur_.clear();
    has_ = false;
  }
  std::vector<std::string> fields_;
  std::string cur_;
  bool has_ = false;
};

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? " " : "") + v[i];
  return s;
}

bool is_launcher(const std::string& w) {
  const std::string base = w.substr(w.find_last_of('/') == std::string::npos ? 0 : w.find_last_of('/') + 1);
  static constexpr std::string_view kLaunchers[] = {"torchrun", "python", "python3", "deepspeed", "srun", "mpirun", "accelerate"};
  for (auto l : kLaunchers)
    if (base == l) return true;
  return base.ends_with(".py");
}

std::optional<long long> to_int(const std::string& s) {
  try {
    size_t used = 0;
    const long long v = std::stoll(s, &used);
    if (used == s.size()) return v;
  } catch (...) {}
  return std::nullopt;
}

class Shell {
 public:
  explicit Shell(std::vector<ShellToken> tokens) : t_(std::move(tokens)) {}

  ShellRead run() {
    run_list(true, {});
    const bool any_launch = !launch_.empty();
    for (const auto& cmd : any_launch ? launch_ : other_) out_.words.insert(out_.words.end(), cmd.begin(), cmd.end());
    return std::move(out_);
  }

 private:
  // ---- structure ---------------------------------------------------------------------------

  // Statements until one of `stops` begins a command (returned, consumed) or the end ("").
  std::string run_list(bool active, std::initializer_list<std::string_view> stops) {
    while (pos_ < t_.size()) {
      if (t_[pos_].is_op && (t_[pos_].op == "\n" || t_[pos_].op == ";" || t_[pos_].op == "&")) {
        ++pos_;
        continue;
      }
      const std::string word = t_[pos_].is_op ? "" : t_[pos_].plain();
      for (auto s : stops)
        if (word == s) {
          ++pos_;
          return word;
        }
      if (word == "then" || word == "elif" || word == "else" || word == "fi" || word == "do" || word == "done" || word == "esac" ||
          word == "}") {
        warn(t_[pos_].line, "unexpected \"" + word + "\": ignored");
        ++pos_;
        continue;
      }
      statement(active && !exited_);
    }
    return "";
  }

  void statement(bool active) {
    const ShellToken& first = t_[pos_];
    const std::string word = first.is_op ? "" : first.plain();
    if (word == "if") return run_if(active);
    if (word == "for" || word == "while" || word == "until" || word == "select") return skip_block(word, "do", "done", active);
    if (word == "case") return skip_block(word, "case", "esac", active);
    if (word == "function" || (pos_ + 2 < t_.size() && t_[pos_ + 1].is("(") && t_[pos_ + 2].is(")"))) return skip_function(active);
    if (word == "{") {
      ++pos_;
      run_list(active, {"}"});
      return;
    }
    if (first.is_op && first.op != "(") {  // a stray operator
      ++pos_;
      return;
    }
    if (first.is_op) {  // subshell: its assignments do not reach the script
      ++pos_;
      int depth = 1;
      while (pos_ < t_.size() && depth > 0) {
        if (t_[pos_].is("(")) ++depth;
        if (t_[pos_].is(")")) --depth;
        ++pos_;
      }
      if (active) warn(first.line, "a ( subshell ) is not run: skipped");
      return;
    }
    last_ = and_or(active);
  }

  // if LIST; then LIST [elif LIST; then LIST]... [else LIST] fi (§3.2.5.2).
  void run_if(bool active) {
    const int at = t_[pos_].line;
    ++pos_;
    bool taken = false;
    std::string stop = "elif";
    while (stop == "elif") {
      run_list(active && !taken, {"then"});
      const Status cond = last_;
      const bool branch = active && !taken && cond != Status::kFalse;
      if (active && !taken && cond == Status::kUnknown) warn(at, "an if condition trainplan cannot evaluate: its branch is taken");
      stop = run_list(branch, {"elif", "else", "fi"});
      taken = taken || branch;
    }
    if (stop == "else") stop = run_list(active && !taken, {"fi"});
    if (stop != "fi") warn(at, "if without fi");
  }

  // A loop (do ... done) or case (case ... esac), nested ones included.
  void skip_block(const std::string& word, std::string_view open, std::string_view end, bool active) {
    const int at = t_[pos_].line;
    int depth = 0;
    for (; pos_ < t_.size(); ++pos_) {
      if (t_[pos_].is(open)) ++depth;
      if (t_[pos_].is(end) && --depth == 0) break;
    }
    ++pos_;
    if (active) warn(at, "a \"" + word + "\" block is not run: skipped");
  }
  void skip_function(bool active) {
    const int at = t_[pos_].line;
    int depth = 0;
    for (; pos_ < t_.size(); ++pos_) {
      if (t_[pos_].is("{")) ++depth;
      if (t_[pos_].is("}") && --depth == 0) break;
    }
    ++pos_;
    if (active) warn(at, "a function definition is not run (nor its calls): skipped");
  }

  // pipeline { && | || pipeline } (§3.2.4).
  Status and_or(bool active) {
    Status s = pipeline(active);
    while (pos_ < t_.size() && (t_[pos_].is("&&") || t_[pos_].is("||"))) {
      const bool and_op = t_[pos_].is("&&");
      ++pos_;
      while (pos_ < t_.size() && t_[pos_].is("\n")) ++pos_;
      const bool run_next = active && (and_op ? s != Status::kFalse : s == Status::kFalse);
      const Status n = pipeline(run_next);
      if (run_next) s = n;
    }
    return s;
  }
  Status pipeline(bool active) {
    Status s = command(active);
    while (pos_ < t_.size() && t_[pos_].is("|")) {
      ++pos_;
      s = command(active);
    }
    return s;
  }

  // ---- simple commands -----------------------------------------------------------------------

  struct Item {
    const ShellToken* word = nullptr;
    std::vector<const ShellToken*> array;  // elements when word->array_open
  };

  Status command(bool active) {
    const int at = pos_ < t_.size() ? t_[pos_].line : 0;
    std::vector<Item> items;
    const bool double_bracket = pos_ < t_.size() && t_[pos_].is("[[");
    while (pos_ < t_.size()) {
      const ShellToken& tk = t_[pos_];
      if (tk.is_op && !(double_bracket && (tk.op == "&&" || tk.op == "||"))) break;
      ++pos_;
      Item it{&tk, {}};
      if (tk.array_open) {
        while (pos_ < t_.size() && !t_[pos_].is(")")) {
          if (!t_[pos_].is_op) it.array.push_back(&t_[pos_]);
          ++pos_;
        }
        ++pos_;
      }
      items.push_back(std::move(it));
      if (double_bracket && tk.is("]]")) break;
    }
    if (!active || items.empty()) return Status::kTrue;
    return execute(items, at);
  }

  Status execute(const std::vector<Item>& items, int at) {
    size_t k = 0;
    while (k < items.size() && assignment(*items[k].word)) ++k;
    if (k == items.size()) {
      for (const auto& it : items) assign(it);
      return Status::kTrue;
    }
    const std::string name = items[k].word->plain();
    if (name == "[" || name == "[[" || name == "test") return test(items, k + 1, at);
    if (name == "export" || name == "declare" || name == "typeset" || name == "local" || name == "readonly") {
      for (size_t j = k + 1; j < items.size(); ++j)
        if (assignment(*items[j].word)) assign(items[j]);
      return Status::kTrue;
    }
    if (name == "unset") {
      for (size_t j = k + 1; j < items.size(); ++j) vars_.erase(items[j].word->plain());
      return Status::kTrue;
    }
    if (name == "exit" || name == "return") {
      exited_ = true;
      return Status::kTrue;
    }
    if (name == "true" || name == ":") {  // ": ${X:=default}" assigns through its expansion
      for (size_t j = k + 1; j < items.size(); ++j) expand(*items[j].word, true);
      return Status::kTrue;
    }
    if (name == "false") return Status::kFalse;
    std::vector<std::string> words;
    for (size_t j = k; j < items.size(); ++j) {
      auto f = expand(*items[j].word, true);
      words.insert(words.end(), f.begin(), f.end());
    }
    if (words.empty()) return Status::kTrue;
    bool launches = false;
    for (const auto& w : words) launches = launches || is_launcher(w);
    (launches ? launch_ : other_).push_back(std::move(words));
    return Status::kUnknown;
  }

  // NAME=..., NAME+=... (§3.4): the first part unquoted up to "=".
  static bool assignment(const ShellToken& w) {
    if (w.parts.empty() || w.parts[0].quote) return false;
    const std::string& s = w.parts[0].text;
    const size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0 || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
    const size_t name_end = s[eq - 1] == '+' ? eq - 1 : eq;
    for (size_t i = 0; i < name_end; ++i)
      if (!is_name_char(s[i])) return false;
    return name_end > 0;
  }

  void assign(const Item& it) {
    const ShellToken& w = *it.word;
    const std::string& head = w.parts[0].text;
    const size_t eq = head.find('=');
    const bool append = head[eq - 1] == '+';
    const std::string name = head.substr(0, append ? eq - 1 : eq);
    std::vector<std::string> value;
    if (w.array_open) {
      for (const ShellToken* e : it.array) {
        auto f = expand(*e, true);
        value.insert(value.end(), f.begin(), f.end());
      }
    } else {
      ShellToken rest = w;
      rest.parts[0].text = head.substr(eq + 1);
      value = {join(expand(rest, false))};
    }
    auto& v = vars_[name];
    if (!append) v.clear();
    if (append && !w.array_open && !v.empty())
      v[0] += value[0];
    else
      v.insert(v.end(), value.begin(), value.end());
  }

  // ---- expansion (§3.5.3) --------------------------------------------------------------------

  std::vector<std::string> expand(const ShellToken& w, bool split) {
    Fields f;
    for (const auto& part : w.parts) {
      if (part.quote == '\'') {
        f.literal(part.text);
        continue;
      }
      const bool quoted = part.quote == '"' || !split;
      if (part.quote == '"') f.literal("");  // "" and "$UNSET" are one empty word
      expand_part(part.text, quoted, f, w.line);
    }
    return f.finish();
  }

  void expand_part(const std::string& s, bool quoted, Fields& f, int at) {
    std::string plain;
    auto flush = [&] {
      if (!plain.empty()) f.literal(plain);
      plain.clear();
    };
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '`' || (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '(')) {  // not run: kept as text
        const size_t end = skip_construct(s, i);
        plain += s.substr(i, end - i);
        i = end - 1;
        continue;
      }
      if (s[i] != '$' || i + 1 >= s.size()) {
        plain += s[i];
        continue;
      }
      flush();
      if (s[i + 1] == '{') {
        const size_t end = skip_construct(s, i);
        braced(s.substr(i + 2, end - i - 3), quoted, f, at);
        i = end - 1;
      } else if (is_name_char(s[i + 1]) && !std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
        size_t j = i + 1;
        while (j < s.size() && is_name_char(s[j])) ++j;
        put(lookup(s.substr(i + 1, j - i - 1), "0"), quoted, false, f);
        i = j - 1;
      } else if (std::string_view("0123456789@*#?$!-").find(s[i + 1]) != std::string_view::npos) {
        put(special(s[i + 1]), quoted, false, f);  // positional and special parameters
        ++i;
      } else {
        plain += '$';
      }
    }
    flush();
  }

  static std::optional<std::vector<std::string>> special(char c) {
    if (c == '#' || c == '?') return std::vector<std::string>{"0"};
    return std::nullopt;  // the script's arguments and process ids are not known
  }

  // ${NAME}, ${NAME[i]}, ${#NAME[@]}, ${NAME:-word} and its kin (§3.5.3).
  void braced(const std::string& inner, bool quoted, Fields& f, int at) {
    if (inner.starts_with("#") && inner.size() > 1) {
      const std::string name = inner.substr(1, inner.find('[') == std::string::npos ? std::string::npos : inner.find('[') - 1);
      auto v = lookup(name, "@");
      f.literal(inner.find('[') == std::string::npos ? std::to_string(v && !v->empty() ? (*v)[0].size() : 0)
                                                     : std::to_string(v ? v->size() : 0));
      return;
    }
    size_t j = 0;
    while (j < inner.size() && is_name_char(inner[j])) ++j;
    if (j == 0 && !inner.empty() && std::string_view("@*#?").find(inner[0]) != std::string_view::npos) j = 1;
    const std::string name = inner.substr(0, j);
    std::string index = "0";
    if (j < inner.size() && inner[j] == '[') {
      const size_t close = inner.find(']', j);
      index = inner.substr(j + 1, close - j - 1);
      j = close == std::string::npos ? inner.size() : close + 1;
    }
    std::optional<std::vector<std::string>> value =
        std::isdigit(static_cast<unsigned char>(name.empty() ? 'x' : name[0])) || name == "@" || name == "*" ? std::nullopt
                                                                                                             : lookup(name, index);
    const bool all = index == "@" || index == "*";
    const std::string op = inner.substr(j);
    if (!op.empty()) {
      const bool colon = op[0] == ':';
      const size_t at_kind = colon ? 1 : 0;
      const std::string kind = op.substr(at_kind, 1);  // "" for a lone ":"
      const std::string word = op.size() > at_kind + 1 ? op.substr(at_kind + 1) : "";
      const bool unset_or_null = !value || (colon && (value->empty() || (value->size() == 1 && (*value)[0].empty())));
      if (kind == "-" || kind == "=") {
        if (unset_or_null) {
          value = std::vector<std::string>{text_of(word)};
          if (kind == "=") vars_[name] = *value;
        }
      } else if (kind == "+") {
        value = unset_or_null ? std::vector<std::string>{} : std::vector<std::string>{text_of(word)};
      } else {
        warn(at, "${" + inner + "}: this expansion is not modelled; the variable's value is used");
      }
    }
    put(value, quoted, all, f);
  }

  // A ${...:-word} word: expanded and quote-removed into one string.
  std::string text_of(const std::string& word) {
    std::vector<std::string> pieces;
    for (const auto& tk : lex_shell(word))
      if (!tk.is_op) pieces.push_back(join(expand(tk, false)));
    return join(pieces);
  }

  static void put(const std::optional<std::vector<std::string>>& v, bool quoted, bool all, Fields& f) {
    if (!v) return;
    if (all)
      f.elements(*v, quoted);
    else if (quoted)
      f.literal(join(*v));
    else
      f.split(join(*v));
  }

  // A variable's value: all elements for index @ / *, one element for a number.
  std::optional<std::vector<std::string>> lookup(const std::string& name, const std::string& index) const {
    auto it = vars_.find(name);
    if (it == vars_.end()) return std::nullopt;
    if (index == "@" || index == "*") return it->second;
    const auto i = to_int(index);
    if (!i || *i < 0 || static_cast<size_t>(*i) >= it->second.size()) return std::vector<std::string>{};
    return std::vector<std::string>{it->second[static_cast<size_t>(*i)]};
  }

  // ---- tests (§6.4) --------------------------------------------------------------------------

  Status test(const std::vector<Item>& items, size_t from, int at) {
    std::vector<std::string> a;
    for (size_t j = from; j < items.size(); ++j) {
      const ShellToken& w = *items[j].word;
      if (w.is_op) {
        a.push_back(w.op);
        continue;
      }
      // [[ ]] does no field splitting: every operand is one word, empty ones included.
      const bool double_bracket = items[from - 1].word->plain() == "[[";
      auto f = expand(w, !double_bracket);
      if (double_bracket) f = {join(f)};
      a.insert(a.end(), f.begin(), f.end());
    }
    if (!a.empty() && (a.back() == "]" || a.back() == "]]")) a.pop_back();
    const Status s = disjunction(a);
    if (s == Status::kUnknown) warn(at, "a test trainplan cannot evaluate (" + join(a) + ")");
    return s;
  }

  static Status disjunction(const std::vector<std::string>& a) {
    std::vector<std::string> cur;
    std::vector<std::vector<std::string>> terms;
    for (const auto& w : a) {
      if (w == "||" || w == "-o") {
        terms.push_back(cur);
        cur.clear();
      } else {
        cur.push_back(w);
      }
    }
    terms.push_back(cur);
    Status out = Status::kFalse;
    for (const auto& t : terms) {
      const Status s = conjunction(t);
      if (s == Status::kTrue) return Status::kTrue;
      if (s == Status::kUnknown) out = Status::kUnknown;
    }
    return out;
  }
  static Status conjunction(const std::vector<std::string>& a) {
    std::vector<std::string> cur;
    Status out = Status::kTrue;
    auto close = [&] {
      const Status s = primary(cur);
      if (s == Status::kFalse)
        out = Status::kFalse;
      else if (s == Status::kUnknown && out == Status::kTrue)
        out = Status::kUnknown;
      cur.clear();
    };
    for (const auto& w : a) {
      if (w == "&&" || w == "-a")
        close();
      else
        cur.push_back(w);
    }
    close();
    return out;
  }
  static Status primary(std::vector<std::string> a) {
    if (!a.empty() && a[0] == "!") {
      a.erase(a.begin());
      const Status s = primary(a);
      return s == Status::kUnknown ? s : s == Status::kTrue ? Status::kFalse : Status::kTrue;
    }
    auto b = [](bool v) { return v ? Status::kTrue : Status::kFalse; };
    if (a.empty()) return Status::kFalse;
    if (a.size() == 1) return b(!a[0].empty());
    if (a.size() == 2) {
      if (a[0] == "-z") return b(a[1].empty());
      if (a[0] == "-n") return b(!a[1].empty());
      // File tests: the script runs in the place it was written for, where its files exist.
      if (a[0].size() == 2 && a[0][0] == '-' && std::string_view("fdexrsLh").find(a[0][1]) != std::string_view::npos) return Status::kTrue;
      return Status::kUnknown;
    }
    if (a.size() == 3) {
      const std::string& op = a[1];
      if (op == "=" || op == "==") return b(a[0] == a[2]);
      if (op == "!=") return b(a[0] != a[2]);
      const auto l = to_int(a[0]), r = to_int(a[2]);
      if (l && r) {
        if (op == "-eq") return b(*l == *r);
        if (op == "-ne") return b(*l != *r);
        if (op == "-lt") return b(*l < *r);
        if (op == "-le") return b(*l <= *r);
        if (op == "-gt") return b(*l > *r);
        if (op == "-ge") return b(*l >= *r);
      }
    }
    return Status::kUnknown;
  }

  void warn(int at, const std::string& message) { out_.warnings.push_back("line " + std::to_string(at) + ": " + message); }

  std::vector<ShellToken> t_;
  size_t pos_ = 0;
  std::map<std::string, std::vector<std::string>> vars_;  // a scalar is a one-element array (§6.7)
  std::vector<std::vector<std::string>> launch_, other_;
  Status last_ = Status::kTrue;
  bool exited_ = false;
  ShellRead out_;
};

}  // namespace

ShellRead read_shell(std::string_view text) { return Shell(lex_shell(text)).run(); }

std::vector<std::string> shell_words(std::string_view text) { return read_shell(text).words; }

std::optional<std::string> unevaluated_value_error(std::string_view flag, std::string_view value) {
  const auto construct = unevaluated_construct(value);
  if (!construct) return std::nullopt;
  return std::string(flag) + ": \"" + std::string(value) + "\" is " + *construct + ", which trainplan does not run: write the value";
}

std::optional<std::string> unevaluated_construct(std::string_view word) {
  if (word.find("$((") != std::string_view::npos) return "shell arithmetic $((...))";
  if (word.find("$(") != std::string_view::npos || word.find('`') != std::string_view::npos) return "command substitution $(...)";
  return std::nullopt;
}

}  // namespace trainplan::exporter
