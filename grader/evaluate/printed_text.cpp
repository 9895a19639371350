#include "evaluate/printed_text.h"

#include "observe/numbers.h"
#include "util/text.h"

#include <array>
#include <cctype>
#include <limits>

namespace kmgrade::evaluate {

namespace {

bool is_digit(char c)
{
  return c >= '0' && c <= '9';
}

std::size_t skip_digits(std::string_view text, std::size_t i)
{
  while (i < text.size() && is_digit(text[i])) {
    ++i;
  }
  return i;
}

bool equals_ignoring_case(std::string_view a, std::string_view b)
{
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// A decimal number in the text: "12" or "12.345", with the digits of each part.
struct Number
{
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string_view whole;
  std::string_view fraction;
};

// The numbers of `text` that may be a value the module printed: a number glued to a letter
// or an underscore is part of a word, and one after a minus sign is negative.
template <typename F>
void for_each_number(std::string_view text, F&& visit)
{
  std::size_t i = 0;
  while (i < text.size()) {
    if (!is_digit(text[i])) {
      ++i;
      continue;
    }
    Number n;
    n.begin = i;
    i = skip_digits(text, i);
    n.whole = text.substr(n.begin, i - n.begin);
    if (i + 1 < text.size() && text[i] == '.' && is_digit(text[i + 1])) {
      const std::size_t from = i + 1;
      i = skip_digits(text, from);
      n.fraction = text.substr(from, i - from);
    }
    n.end = i;
    const char before = n.begin > 0 ? text[n.begin - 1] : ' ';
    if (!util::is_word_char(before) && before != '-' && before != '.') {
      visit(n);
    }
  }
}

// value + fraction, in units of 10^-digits of the number, rounded half up: exact decimal
// arithmetic, so "12.345 us" is 12345 ns and not 12344.999. nullopt when it passes 2^64.
std::optional<std::uint64_t> scaled(const Number& n, unsigned digits)
{
  std::uint64_t scale = 1;
  for (unsigned d = 0; d < digits; ++d) {
    scale *= 10;
  }
  auto whole = observe::parse_number<std::uint64_t>(n.whole);
  if (!whole || *whole > std::numeric_limits<std::uint64_t>::max() / scale) {
    return std::nullopt;
  }
  std::uint64_t part = 0;
  for (unsigned d = 0; d < digits; ++d) {
    part = part * 10 + (d < n.fraction.size() ? static_cast<unsigned>(n.fraction[d] - '0') : 0);
  }
  if (digits < n.fraction.size() && n.fraction[digits] >= '5') {
    ++part;
  }
  const std::uint64_t value = *whole * scale;
  if (part > std::numeric_limits<std::uint64_t>::max() - value) {
    return std::nullopt;
  }
  return value + part;
}

struct Unit
{
  std::string_view name;
  unsigned ns_digits; // 1 unit = 10^ns_digits ns
};

// Longer spellings first, so "secs" is not read as "sec" followed by a letter.
constexpr std::array<Unit, 21> k_units = {{
  {"nanoseconds", 0}, {"nanosecond", 0}, {"nsecs", 0}, {"nsec", 0}, {"ns", 0},        {"microseconds", 3},
  {"microsecond", 3}, {"usecs", 3},      {"usec", 3},  {"us", 3},   {"\xC2\xB5s", 3}, {"milliseconds", 6},
  {"millisecond", 6}, {"msecs", 6},      {"msec", 6},  {"ms", 6},   {"seconds", 9},   {"second", 9},
  {"secs", 9},        {"sec", 9},        {"s", 9},
}};

// The unit spelled at `text[i]` as a whole word, after optional spaces.
const Unit* unit_at(std::string_view text, std::size_t i)
{
  i = util::skip_space(text, i);
  for (const auto& unit : k_units) {
    if (i + unit.name.size() <= text.size() && equals_ignoring_case(text.substr(i, unit.name.size()), unit.name) &&
        (i + unit.name.size() == text.size() || !util::is_word_char(text[i + unit.name.size()]))) {
      return &unit;
    }
  }
  return nullptr;
}

bool speaks_of_time(std::string_view text)
{
  constexpr std::array<std::string_view, 7> k_words = {"time",  "took",     "takes",  "elapsed",
                                                       "spent", "duration", "latency"};
  bool found = false;
  util::for_each_word(text, [&](std::string_view word, std::size_t) {
    for (auto w : k_words) {
      found = found || equals_ignoring_case(word, w);
    }
  });
  return found;
}

} // namespace

std::string console_text(std::string_view line)
{
  // "[  12.345678] ": the stamp printk:console puts before the message.
  if (!line.empty() && line.front() == '[') {
    const std::size_t i = util::skip_space(line, 1);
    const std::size_t secs = skip_digits(line, i);
    if (secs > i && secs < line.size() && line[secs] == '.') {
      const std::size_t frac = skip_digits(line, secs + 1);
      if (frac > secs + 1 && frac < line.size() && line[frac] == ']') {
        line.remove_prefix(util::skip_space(line, frac + 1));
      }
    }
  }
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) {
    line.remove_suffix(1);
  }
  return std::string(line);
}

bool mentions_number(std::string_view text, unsigned long long number)
{
  const std::string digits = std::to_string(number);
  std::size_t i = 0;
  while (i < text.size()) {
    if (!is_digit(text[i])) {
      ++i;
      continue;
    }
    const std::size_t from = i;
    i = skip_digits(text, i);
    if ((from == 0 || text[from - 1] != '.') && text.substr(from, i - from) == digits) {
      return true;
    }
  }
  return false;
}

std::optional<std::uint64_t> parse_reported_ns(std::string_view text, bool bare_is_ns)
{
  std::optional<std::uint64_t> found;
  std::optional<Number> last;
  for_each_number(text, [&](const Number& n) {
    // A bare number glued to letters ("1e400") is no more a time than one after them.
    if (n.end == text.size() || !util::is_word_char(text[n.end])) {
      last = n;
    }
    if (const Unit* unit = unit_at(text, n.end)) {
      if (auto ns = scaled(n, unit->ns_digits)) {
        found = ns;
      }
    }
  });
  if (!found && bare_is_ns && last && speaks_of_time(text)) {
    found = scaled(*last, 0);
  }
  return found;
}

} // namespace kmgrade::evaluate
