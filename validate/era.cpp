#include "validate/era.hpp"

#include "model/spec/framework.hpp"

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
    case Feature::kAccountForLayers: return 2025;
  }
  return 0;
}

int date_year(std::string_view date) {
  if (!valid_date(date)) return 0;
  return (date[0] - '0') * 1000 + (date[1] - '0') * 100 + (date[2] - '0') * 10 + (date[3] - '0');
}

}  // namespace trainplan
