// Unit-safe quantities (after absl::Duration): SI inside, factories carry the unit, a plain number
// comes out only by dividing by a unit.
//
//   constexpr Bytes hbm = GiB(80);            // 2^30; GB(80) would be 10^9
//   Seconds t = MiB(1) / GBps(50);            // Bytes / BytesPerSecond -> Seconds
//   double in_us = t / us(1);
#pragma once

#include <string>
#include <type_traits>

namespace trainplan {

template <class Tag>
class Quantity {
 public:
  constexpr Quantity() = default;
  static constexpr Quantity from_si(double v) { return Quantity(v); }
  [[nodiscard]] constexpr double si() const { return v_; }

  constexpr Quantity operator+(Quantity o) const { return Quantity(v_ + o.v_); }
  constexpr Quantity operator-(Quantity o) const { return Quantity(v_ - o.v_); }
  constexpr Quantity& operator+=(Quantity o) {
    v_ += o.v_;
    return *this;
  }
  constexpr Quantity& operator-=(Quantity o) {
    v_ -= o.v_;
    return *this;
  }
  constexpr Quantity operator*(double k) const { return Quantity(v_ * k); }
  constexpr Quantity operator/(double k) const { return Quantity(v_ / k); }
  friend constexpr Quantity operator*(double k, Quantity q) { return Quantity(k * q.v_); }
  constexpr double operator/(Quantity o) const { return v_ / o.v_; }
  constexpr auto operator<=>(const Quantity&) const = default;

 private:
  constexpr explicit Quantity(double v) : v_(v) {}
  double v_ = 0.0;
};

struct BytesTag {};
struct SecondsTag {};
struct FlopsTag {};
struct BytesPerSecondTag {};
struct FlopsPerSecondTag {};
struct WattsTag {};

using Bytes = Quantity<BytesTag>;
using Seconds = Quantity<SecondsTag>;
using Flops = Quantity<FlopsTag>;
using BytesPerSecond = Quantity<BytesPerSecondTag>;
using FlopsPerSecond = Quantity<FlopsPerSecondTag>;
using Watts = Quantity<WattsTag>;

static_assert(std::is_trivially_copyable_v<Bytes>);

constexpr Bytes B(double v) { return Bytes::from_si(v); }
constexpr Bytes KB(double v) { return Bytes::from_si(v * 1e3); }
constexpr Bytes MB(double v) { return Bytes::from_si(v * 1e6); }
constexpr Bytes GB(double v) { return Bytes::from_si(v * 1e9); }
constexpr Bytes TB(double v) { return Bytes::from_si(v * 1e12); }
constexpr Bytes KiB(double v) { return Bytes::from_si(v * 1024.0); }
constexpr Bytes MiB(double v) { return Bytes::from_si(v * 1048576.0); }
constexpr Bytes GiB(double v) { return Bytes::from_si(v * 1073741824.0); }
constexpr Bytes TiB(double v) { return Bytes::from_si(v * 1099511627776.0); }

constexpr Seconds s(double v) { return Seconds::from_si(v); }
constexpr Seconds ms(double v) { return Seconds::from_si(v * 1e-3); }
constexpr Seconds us(double v) { return Seconds::from_si(v * 1e-6); }
constexpr Seconds ns(double v) { return Seconds::from_si(v * 1e-9); }

constexpr Flops flop(double v) { return Flops::from_si(v); }
constexpr FlopsPerSecond TFLOPS(double v) { return FlopsPerSecond::from_si(v * 1e12); }
constexpr FlopsPerSecond GFLOPS(double v) { return FlopsPerSecond::from_si(v * 1e9); }

constexpr BytesPerSecond GBps(double v) { return BytesPerSecond::from_si(v * 1e9); }
constexpr BytesPerSecond Gbps(double v) { return BytesPerSecond::from_si(v * 1e9 / 8.0); }
constexpr BytesPerSecond GiBps(double v) { return BytesPerSecond::from_si(v * 1073741824.0); }

constexpr Watts W(double v) { return Watts::from_si(v); }

// Cross-unit arithmetic.
constexpr Seconds operator/(Bytes b, BytesPerSecond r) { return Seconds::from_si(b.si() / r.si()); }
constexpr Seconds operator/(Flops f, FlopsPerSecond r) { return Seconds::from_si(f.si() / r.si()); }
constexpr Bytes operator*(BytesPerSecond r, Seconds t) { return Bytes::from_si(r.si() * t.si()); }
constexpr Flops operator*(FlopsPerSecond r, Seconds t) { return Flops::from_si(r.si() * t.si()); }
constexpr FlopsPerSecond operator/(Flops f, Seconds t) { return FlopsPerSecond::from_si(f.si() / t.si()); }

constexpr double to_gib(Bytes b) { return b / GiB(1); }

}  // namespace trainplan
