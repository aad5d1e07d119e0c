#include "validate/era.hpp"

#include <cctype>

namespace trainplan {

int first_public_year(Feature f) {
  switch (f) {
    case Feature::kInterleavedSchedule: return 2021;
    case Feature::kSequenceParallel: return 2022;
    case Feature::kSelectiveRecompute: return 2022;
    case Feature::kFlashAttention: return 2023;
    case Feature::kTpGradOverlap: return 2022;
    case Feature::kTpCommOverlap: return 2023;
    case Feature::kParamRemainders: return 2022;
  }
  return 0;
}

int source_year(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
    if (j - i == 4) {
      int value = 0;
      for (size_t k = i; k < j; ++k) value = value * 10 + (s[k] - '0');
      if (value >= 2017 && value <= 2099) return value;
    }
    i = j;
  }
  return 0;
}

}  // namespace trainplan
