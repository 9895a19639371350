#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// Readers of the text a student's module prints. Whatever it prints, they return a value or
// nullopt: they never throw, never overflow, and take time linear in the text.
namespace kmgrade::evaluate {

// A console line without its "[  1.234]" stamp and trailing newlines or spaces.
std::string console_text(std::string_view line);

// Does `text` contain `number` as a whole number: a run of digits equal to it, not part of a
// longer run and not the fraction of a decimal ("0.32" does not mention 32)?
bool mentions_number(std::string_view text, unsigned long long number);

// A time a module printed, in nanoseconds: "took 1234 ns", "3.5 us", "elapsed: 12 ms". The
// last number with a unit wins. A number with no unit counts as ns only when `bare_is_ns`
// and the message speaks of time ("took", "elapsed", ...): a bare jiffies stamp is not an
// elapsed time. A number glued to a letter ("1e400", "x86"), after a minus sign, or whose
// nanoseconds do not fit in 64 bits is not a time.
std::optional<std::uint64_t> parse_reported_ns(std::string_view text, bool bare_is_ns);

} // namespace kmgrade::evaluate
