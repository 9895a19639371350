// What a student's module prints, read as the time it took and as the numbers it mentions
// (objnum, the struct size).

#include "check.h"
#include "evaluate/printed_text.h"

#include <cstdint>
#include <string>
#include <string_view>

using namespace kmgrade::evaluate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string text = console_text(input);
  check(text.size() <= input.size(), "the message grew");

  const auto with_unit = parse_reported_ns(text, false);
  const auto bare = parse_reported_ns(text, true);
  check(!with_unit || bare == with_unit, "a time with a unit changed when bare numbers count");
  // A time printed after anything is the time the message ends with.
  check(parse_reported_ns(text + " 5 ns", false) == 5u, "a trailing '5 ns' was not read as 5 ns");
  check(parse_reported_ns(text + " 18446744073709551616 ns", false) == with_unit, "2^64 ns changed the time read");

  const unsigned long long number = size > 0 ? data[0] * 1000ULL + size : 0;
  check(mentions_number(text + " " + std::to_string(number), number), "a number after a space was not mentioned");
  check(!mentions_number(text + "." + std::to_string(number), number) || mentions_number(text, number),
        "the fraction of a decimal counted as a number");
  return 0;
}
