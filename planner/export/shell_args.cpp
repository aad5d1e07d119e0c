// Flag lists of a launch command (shell_args.hpp); the script itself is read in shell_script.cpp.
#include "planner/export/shell_args.hpp"

#include <cctype>

namespace trainplan::exporter {

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
