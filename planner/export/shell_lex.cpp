#include "planner/export/shell_lex.hpp"

#include <algorithm>
#include <cctype>

namespace trainplan::exporter {

std::string ShellToken::plain() const {
  std::string s;
  for (const auto& p : parts) {
    if (p.quote) return "";
    s += p.text;
  }
  return s;
}

bool ShellToken::is(std::string_view op_or_word) const { return is_op ? op == op_or_word : (!parts.empty() && plain() == op_or_word); }

size_t skip_construct(std::string_view text, size_t open) {
  if (text[open] == '`') {
    const size_t end = text.find('`', open + 1);
    return end == std::string_view::npos ? text.size() : end + 1;
  }
  const char opener = text[open + 1];  // '(' or '{'
  const char closer = opener == '(' ? ')' : '}';
  int depth = 0;
  for (size_t i = open + 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\') {
      ++i;
    } else if (c == '\'' && opener == '(') {
      const size_t end = text.find('\'', i + 1);
      if (end == std::string_view::npos) return text.size();
      i = end;
    } else if (c == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i)
        if (text[i] == '\\') ++i;
    } else if (c == opener) {
      ++depth;
    } else if (c == closer && --depth == 0) {
      return i + 1;
    }
  }
  return text.size();
}

namespace {

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

class Lexer {
 public:
  explicit Lexer(std::string_view text) : s_(text) {}

  std::vector<ShellToken> run() {
    while (i_ < s_.size()) step();
    flush();
    return std::move(out_);
  }

 private:
  void step() {
    const char c = s_[i_];
    if (c == '\\') return backslash();
    if (c == '\'') return single_quoted();
    if (c == '"') return double_quoted();
    if ((c == '$' && i_ + 1 < s_.size() && (s_[i_ + 1] == '(' || s_[i_ + 1] == '{')) || c == '`') return construct(0);
    if (c == '#' && !in_word_) return comment();
    if (c == ' ' || c == '\t' || c == '\r') {
      flush();
      ++i_;
      return;
    }
    if (c == '\n') return op("\n", 1);
    if (c == ';') return op(peek(1) == ';' ? ";;" : ";", peek(1) == ';' ? 2 : 1);
    if (c == '&' && peek(1) == '&') return op("&&", 2);
    if (c == '|' && peek(1) == '|') return op("||", 2);
    if (c == '|') return op("|", 1);
    if (c == '>' || c == '<' || (c == '&' && peek(1) == '>')) return redirection();
    if (c == '&') return op("&", 1);
    if (c == '(') return open_paren();
    if (c == ')') return op(")", 1);
    add(c, 0);
    ++i_;
  }

  char peek(size_t k) const { return i_ + k < s_.size() ? s_[i_ + k] : '\0'; }

  void add(char c, char quote) { add(std::string(1, c), quote); }
  void add(const std::string& text, char quote) {
    if (!in_word_) {
      cur_ = ShellToken{};
      cur_.line = line_;
      in_word_ = true;
    }
    if (cur_.parts.empty() || cur_.parts.back().quote != quote) cur_.parts.push_back({"", quote});
    cur_.parts.back().text += text;
  }
  void count_lines(size_t from, size_t to) {
    line_ += static_cast<int>(std::count(s_.begin() + static_cast<long>(from), s_.begin() + static_cast<long>(to), '\n'));
  }

  void flush() {
    if (!in_word_) return;
    if (drop_next_word_)
      drop_next_word_ = false;
    else
      out_.push_back(std::move(cur_));
    in_word_ = false;
  }
  void op(const char* name, size_t length) {
    flush();
    ShellToken t;
    t.is_op = true;
    t.op = name;
    t.line = line_;
    out_.push_back(std::move(t));
    if (name[0] == '\n') ++line_;
    i_ += length;
  }

  void backslash() {
    if (peek(1) == '\n') {  // continuation
      i_ += 2;
      ++line_;
      return;
    }
    if (i_ + 1 < s_.size()) add(s_[i_ + 1], '\'');
    i_ += 2;
  }
  void single_quoted() {
    const size_t end = std::min(s_.find('\'', i_ + 1), s_.size());
    add(std::string(s_.substr(i_ + 1, end - i_ - 1)), '\'');
    count_lines(i_, end);
    i_ = end + 1;
  }
  // Inside "...": backslash escapes $ ` " \ and newline (§3.1.2.3); expansions stay raw.
  void double_quoted() {
    add("", '"');
    for (++i_; i_ < s_.size() && s_[i_] != '"';) {
      const char c = s_[i_];
      if (c == '\\' && i_ + 1 < s_.size() && std::string_view("$`\"\\\n").find(s_[i_ + 1]) != std::string_view::npos) {
        if (s_[i_ + 1] != '\n')
          add(s_[i_ + 1], '\'');
        else
          ++line_;
        i_ += 2;
        add("", '"');
      } else if ((c == '$' && (peek(1) == '(' || peek(1) == '{')) || c == '`') {
        construct('"');
      } else {
        if (c == '\n') ++line_;
        add(c, '"');
        ++i_;
      }
    }
    ++i_;
  }
  void construct(char quote) {
    const size_t end = skip_construct(s_, i_);
    add(std::string(s_.substr(i_, end - i_)), quote);
    count_lines(i_, end);
    i_ = end;
  }
  void comment() {
    while (i_ < s_.size() && s_[i_] != '\n') ++i_;
  }
  // "NAME=(" or "NAME+=(" opens an array assignment (§6.7); any other "(" is an operator.
  void open_paren() {
    const std::string word = in_word_ ? cur_.plain() : "";
    const bool array =
        word.size() >= 2 && word.back() == '=' && std::all_of(word.begin(), word.end() - (word.ends_with("+=") ? 2 : 1), is_name_char);
    if (array) {
      cur_.array_open = true;
      flush();
      ++i_;
      return;
    }
    op("(", 1);
  }
  // [n]>file, >>file, >&n, &>file, <file, <<WORD heredoc: the operator and its target are dropped.
  void redirection() {
    const std::string fd = in_word_ ? cur_.plain() : "";
    if (!fd.empty() && std::all_of(fd.begin(), fd.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }))
      in_word_ = false;
    flush();
    const bool heredoc = s_[i_] == '<' && peek(1) == '<';
    while (i_ < s_.size() && (s_[i_] == '>' || s_[i_] == '<' || s_[i_] == '&' || s_[i_] == '-')) ++i_;
    if (heredoc) return skip_heredoc();
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
    drop_next_word_ = true;
  }
  void skip_heredoc() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
    std::string word;
    while (i_ < s_.size() && !std::isspace(static_cast<unsigned char>(s_[i_])) && s_[i_] != ';') {
      if (s_[i_] != '\'' && s_[i_] != '"') word += s_[i_];
      ++i_;
    }
    size_t line_end = s_.find('\n', i_);
    while (line_end != std::string_view::npos) {
      const size_t next = s_.find('\n', line_end + 1);
      std::string_view body = s_.substr(line_end + 1, (next == std::string_view::npos ? s_.size() : next) - line_end - 1);
      while (!body.empty() && (body.front() == '\t' || body.front() == ' ')) body.remove_prefix(1);
      ++line_;
      if (body == word) {
        // The rest of the command's line stays; the heredoc body is skipped when the line ends.
        heredoc_end_ = next == std::string_view::npos ? s_.size() : next;
        break;
      }
      line_end = next;
    }
    // Lex the rest of the line (e.g. "| tee x"), then jump past the body.
    const size_t eol = s_.find('\n', i_);
    const size_t stop = eol == std::string_view::npos ? s_.size() : eol;
    while (i_ < stop) step();
    flush();
    if (heredoc_end_ > i_) i_ = heredoc_end_;
  }

  std::string_view s_;
  size_t i_ = 0;
  int line_ = 1;
  bool in_word_ = false;
  bool drop_next_word_ = false;
  size_t heredoc_end_ = 0;
  ShellToken cur_;
  std::vector<ShellToken> out_;
};

}  // namespace

std::vector<ShellToken> lex_shell(std::string_view text) { return Lexer(text).run(); }

}  // namespace trainplan::exporter
