// The colours the charts and the timeline share, so that "DP comm" is the same teal everywhere.
#pragma once

#include <QColor>

namespace trainplan::gui::palette {

inline QColor compute() { return {0x3b, 0x82, 0xc4}; }
inline QColor backward() { return {0x1f, 0x4e, 0x8c}; }
inline QColor recompute() { return {0x8e, 0x6c, 0xc8}; }
inline QColor tp_comm() { return {0xe0, 0x7b, 0x39}; }
inline QColor cp_comm() { return {0xd9, 0x5f, 0x8e}; }
inline QColor ep_comm() { return {0xb5, 0x4a, 0x4a}; }
inline QColor pp_comm() { return {0x5c, 0xb3, 0x5c}; }
inline QColor dp_comm() { return {0x2a, 0x9d, 0x8f}; }
inline QColor bubble() { return {0xc8, 0xcc, 0xd2}; }
inline QColor optimizer() { return {0xe9, 0xc4, 0x6a}; }
inline QColor offload() { return {0x7a, 0x5c, 0x3e}; }

inline QColor weights() { return {0x26, 0x46, 0x53}; }
inline QColor gradients() { return {0x2a, 0x9d, 0x8f}; }
inline QColor optimizer_state() { return {0xe9, 0xc4, 0x6a}; }
inline QColor activations() { return {0xf4, 0xa2, 0x61}; }
inline QColor buffers() { return {0xe7, 0x6f, 0x51}; }
inline QColor framework() { return {0x9a, 0xa5, 0xb1}; }
inline QColor fragmentation() { return {0xcf, 0xd4, 0xda}; }

}  // namespace trainplan::gui::palette
