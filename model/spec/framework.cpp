#include "model/spec/framework.hpp"

#include <cctype>

namespace trainplan {

const char* framework_name(Framework f) {
  if (f == Framework::kUnstated) return "unstated";
  return kFrameworkNames[static_cast<size_t>(f) - 1].data();
}

std::optional<Framework> parse_framework(std::string_view name) {
  for (size_t i = 0; i < kFrameworkNames.size(); ++i)
    if (kFrameworkNames[i] == name) return static_cast<Framework>(i + 1);
  return std::nullopt;
}

bool valid_date(std::string_view d) {
  auto digits = [&](size_t from, size_t n) {
    for (size_t i = from; i < from + n; ++i)
      if (!std::isdigit(static_cast<unsigned char>(d[i]))) return false;
    return true;
  };
  if (d.size() != 4 && d.size() != 7) return false;
  if (!digits(0, 4) || d.substr(0, 2) != "20") return false;
  if (d.size() == 4) return true;
  if (d[4] != '-' || !digits(5, 2)) return false;
  const int month = (d[5] - '0') * 10 + (d[6] - '0');
  return month >= 1 && month <= 12;
}

std::string framework_choices() {
  std::string out;
  for (std::string_view n : kFrameworkNames) out += (out.empty() ? "\"" : ", \"") + std::string(n) + "\"";
  return out;
}

}  // namespace trainplan
