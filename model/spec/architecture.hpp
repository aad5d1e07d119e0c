// The GPU architectures trainplan knows, once: the catalog reader accepts these names in a GPU's
// "architecture", the calibration files key their per-architecture blocks by them, and the fit
// orders NVIDIA's generations by them.
//
//   for (const Architecture& a : kArchitectures) ...   // "volta", "ampere", ...
//   architecture_generation("hopper")                 // 2 (NVIDIA's order); -1 for AMD or unknown
#pragma once

#include <array>
#include <string_view>

namespace trainplan {

struct Architecture {
  std::string_view name;
  int nvidia_generation;     // Volta 0, Ampere 1, Hopper 2, Blackwell 3; -1: not NVIDIA
  bool userbuffers_overlap;  // Transformer Engine's userbuffer TP comm overlap runs on it (NVIDIA
                             // from sm80 on; hardware.hpp supports_tp_comm_overlap)
};

inline constexpr std::array<Architecture, 6> kArchitectures = {{
    {"volta", 0, false},
    {"ampere", 1, true},
    {"hopper", 2, true},
    {"blackwell", 3, true},
    {"cdna2", -1, false},  // AMD MI250X
    {"cdna3", -1, false},  // AMD MI300X
}};

[[nodiscard]] constexpr const Architecture* find_architecture(std::string_view name) {
  for (const Architecture& a : kArchitectures)
    if (a.name == name) return &a;
  return nullptr;
}
inline constexpr int kNvidiaGenerations = [] {
  int n = 0;
  for (const Architecture& a : kArchitectures) n += a.nvidia_generation >= 0 ? 1 : 0;
  return n;
}();
[[nodiscard]] constexpr int architecture_generation(std::string_view name) {
  const Architecture* a = find_architecture(name);
  return a ? a->nvidia_generation : -1;
}

}  // namespace trainplan
