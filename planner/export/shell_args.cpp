#include "planner/export/shell_args.hpp"

#include <algorithm>
#include <cctype>

namespace trainplan::exporter {

namespace {

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Expands $NAME, ${NAME}, ${NAME:-default}; unknown names expand to nothing.
std::string expand(const std::string& w, const std::map<std::string, std::string>& vars) {
  std::string out;
  for (size_t i = 0; i < w.size(); ++i) {
    if (w[i] != '$' || i + 1 >= w.size()) {
      out += w[i];
      continue;
    }
    std::string name, fallback;
    if (w[i + 1] == '{') {
      size_t end = w.find('}', i + 2);
      if (end == std::string::npos) end = w.size();
      std::string inner = w.substr(i + 2, end - i - 2);
      if (auto d = inner.find(":-"); d != std::string::npos) {
        fallback = inner.substr(d + 2);
        inner = inner.substr(0, d);
      }
      name = inner;
      i = end;
    } else {
      size_t j = i + 1;
      while (j < w.size() && is_name_char(w[j])) ++j;
      name = w.substr(i + 1, j - i - 1);
      i = j - 1;
    }
    auto it = vars.find(name);
    out += it != vars.end() ? it->second : fallback;
  }
  return out;
}

}  // namespace

std::vector<std::string> shell_words(std::string_view text) {
  std::vector<std::string> raw;
  std::vector<bool> raw_is_line_start;
  std::string cur;
  bool in_word = false, line_start = true, word_line_start = true;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote) {
      if (c == quote) quote = 0;
      else cur += c;
      continue;
    }
    if (c == '\\' && i + 1 < text.size() && text[i + 1] == '\n') {
      ++i;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      if (!in_word) word_line_start = line_start;
      in_word = true;
      continue;
    }
    if (c == '#' && !in_word) {
      while (i < text.size() && text[i] != '\n') ++i;
      line_start = true;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c)) || c == ';' || c == '(' || c == ')') {
      if (in_word) {
        raw.push_back(cur);
        raw_is_line_start.push_back(word_line_start);
        cur.clear();
        in_word = false;
      }
      if (c == '\n' || c == ';') line_start = true;
      continue;
    }
    if (!in_word) word_line_start = line_start;
    line_start = false;
    in_word = true;
    cur += c;
  }
  if (in_word) {
    raw.push_back(cur);
    raw_is_line_start.push_back(word_line_start);
  }
  std::map<std::string, std::string> vars;
  std::vector<std::string> words;
  for (size_t k = 0; k < raw.size(); ++k) {
    const std::string& w = raw[k];
    // NAME=value at the start of a command is an assignment (NAME=( starts an array: dropped).
    const auto eq = w.find('=');
    const bool assignment = eq != std::string::npos && eq > 0 && !w.starts_with("-") &&
                            std::all_of(w.begin(), w.begin() + static_cast<long>(eq), is_name_char) &&
                            (raw_is_line_start[k] || (k > 0 && raw[k - 1] == "export"));
    if (assignment) {
      vars[w.substr(0, eq)] = expand(w.substr(eq + 1), vars);
      continue;
    }
    if (w == "export") continue;
    std::string e = expand(w, vars);
    if (!e.empty()) words.push_back(e);
  }
  return words;
}

namespace {
bool is_program(const std::string& w) {
  return w.ends_with(".py") || w == "torchrun" || w == "python" || w == "python3" || w == "deepspeed" || w == "srun" || w == "set" ||
         w == "-m";
}
bool starts_flag(const std::string& w) {
  if (w.size() < 2 || w[0] != '-') return false;
  return !(std::isdigit(static_cast<unsigned char>(w[1])) || w[1] == '.');
}
}  // namespace

ParsedFlags parse_flags(const std::vector<std::string>& words) {
  ParsedFlags p;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (!starts_flag(w) || w == "-m") continue;
    std::pair<std::string, std::vector<std::string>> f;
    if (auto eq = w.find('='); eq != std::string::npos) {
      f.first = w.substr(0, eq);
      f.second.push_back(w.substr(eq + 1));
    } else {
      f.first = w;
      while (i + 1 < words.size() && !starts_flag(words[i + 1]) && !is_program(words[i + 1])) f.second.push_back(words[++i]);
    }
    p.flags.push_back(std::move(f));
  }
  return p;
}

bool ParsedFlags::has(std::string_view flag) const {
  for (const auto& [f, v] : flags)
    if (f == flag) return true;
  return false;
}

const std::string* ParsedFlags::value(std::string_view flag) const {
  const std::string* out = nullptr;
  for (const auto& [f, v] : flags)
    if (f == flag && !v.empty()) out = &v.back();
  return out;
}

}  // namespace trainplan::exporter
