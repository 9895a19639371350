#pragma once

#include <charconv>
#include <optional>
#include <string_view>
#include <type_traits>

namespace kmgrade::observe {

// The whole of `text` as a number of type T (integers in `base`), or nullopt when it is
// empty, has anything else in it (spaces, a suffix, a sign T cannot hold) or does not fit in
// T. Never throws: text a module or a tool printed is read with this, and an out-of-range
// value is simply not one. A floating-point T accepts "nan" and "inf": check isfinite.
template <typename T>
std::optional<T> parse_number(std::string_view text, int base = 10)
{
  T value{};
  const char* end = text.data() + text.size();
  std::from_chars_result r;
  if constexpr (std::is_floating_point_v<T>) {
    r = std::from_chars(text.data(), end, value);
  } else {
    r = std::from_chars(text.data(), end, value, base);
  }
  auto [stop, ec] = r;
  if (text.empty() || ec != std::errc() || stop != end) {
    return std::nullopt;
  }
  return value;
}

} // namespace kmgrade::observe
