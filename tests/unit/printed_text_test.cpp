// What a student's module prints, read as a time or a number: exact results for ordinary
// messages and for the hostile ones that once ended a grade with "kmgrade: error: stoull".

#include "evaluate/printed_text.h"

#include <gtest/gtest.h>

#include <string>

using kmgrade::evaluate::console_text;
using kmgrade::evaluate::mentions_number;
using kmgrade::evaluate::parse_reported_ns;

TEST(PrintedText, ReportedTimeUnits)
{
  EXPECT_EQ(parse_reported_ns("alloc_pages/__free_pages of order 3 took 1234 ns", false), 1234u);
  EXPECT_EQ(parse_reported_ns("took 12.345 us", false), 12345u);
  EXPECT_EQ(parse_reported_ns("took 1.5\xC2\xB5s", false), 1500u);
  EXPECT_EQ(parse_reported_ns("elapsed: 3 ms", false), 3000000u);
  EXPECT_EQ(parse_reported_ns("elapsed: 3 MSECS", false), 3000000u);
  EXPECT_EQ(parse_reported_ns("Time taken: 42 nsec", false), 42u);
  EXPECT_EQ(parse_reported_ns("took 2 seconds", false), 2000000000u);
  EXPECT_EQ(parse_reported_ns("took 0.0005 us", false), 1u); // half a nanosecond rounds up
  EXPECT_EQ(parse_reported_ns("took 0.0004 us", false), 0u);
  EXPECT_EQ(parse_reported_ns("alloc 3 ms, free 7 ms", false), 7000000u); // the last one wins
  EXPECT_EQ(parse_reported_ns("allocated 1000 objects", false), std::nullopt);
  EXPECT_EQ(parse_reported_ns("took 5 msx", false), std::nullopt);
  EXPECT_EQ(parse_reported_ns("time: 5678", true), 5678u);
  EXPECT_EQ(parse_reported_ns("time: 5678", false), std::nullopt);
  EXPECT_EQ(parse_reported_ns("After Freeing pages..jiffies in milliseconds - 4295123", true), std::nullopt);
  EXPECT_EQ(parse_reported_ns("32 structs per page", false), std::nullopt);
}

TEST(PrintedText, HostileTimesAreNotTimes)
{
  const std::string digits30 = "123456789012345678901234567890";
  EXPECT_EQ(parse_reported_ns("took " + digits30, true), std::nullopt);
  EXPECT_EQ(parse_reported_ns("took " + digits30 + " ns", false), std::nullopt);
  // 2^64 - 1 is the largest time; 2^64 is not one.
  EXPECT_EQ(parse_reported_ns("took 18446744073709551615 ns", false), 18446744073709551615u);
  EXPECT_EQ(parse_reported_ns("took 18446744073709551616 ns", false), std::nullopt);
  EXPECT_EQ(parse_reported_ns("took 18446744073709551616", true), std::nullopt);
  // The multiplication by the unit overflows, and so does adding the fraction.
  EXPECT_EQ(parse_reported_ns("took 18446744073 s", false), 18446744073000000000u);
  EXPECT_EQ(parse_reported_ns("took 18446744074 s", false), std::nullopt);
  EXPECT_EQ(parse_reported_ns("took 18446744073709552 ms", false), std::nullopt);
  EXPECT_EQ(parse_reported_ns("took 18446744073.709551615 s", false), 18446744073709551615u);
  EXPECT_EQ(parse_reported_ns("took 18446744073.7095516155 s", false), std::nullopt);
  // An out-of-range last time leaves the one before it.
  EXPECT_EQ(parse_reported_ns("took 3 ms, then 99999999999999999999 ns", false), 3000000u);
  EXPECT_EQ(parse_reported_ns("took 1e400 ms", false), std::nullopt);
  EXPECT_EQ(parse_reported_ns("took 1e400", true), std::nullopt);
  EXPECT_EQ(parse_reported_ns("took -5 ms", false), std::nullopt);
  EXPECT_EQ(parse_reported_ns("took -5", true), std::nullopt);
  EXPECT_EQ(parse_reported_ns("took nan ms", false), std::nullopt);
  EXPECT_EQ(parse_reported_ns("took nan", true), std::nullopt);
  EXPECT_EQ(parse_reported_ns("took inf s", false), std::nullopt);
  // Long enough to overflow the stack of a recursive regex matcher.
  EXPECT_EQ(parse_reported_ns("took " + std::string(200000, '7') + " ns", false), std::nullopt);
  EXPECT_EQ(parse_reported_ns("took" + std::string(200000, ' ') + "9 us", false), 9000u);
}

TEST(PrintedText, WholeNumbersOnly)
{
  EXPECT_TRUE(mentions_number("objnum = 2000", 2000));
  EXPECT_TRUE(mentions_number("size of struct: 32", 32));
  EXPECT_TRUE(mentions_number("objnum=2000.", 2000));
  EXPECT_FALSE(mentions_number("objnum = 12000", 2000));
  EXPECT_FALSE(mentions_number("objnum = 020000", 2000));
  EXPECT_FALSE(mentions_number("took 320 ns", 32));
  EXPECT_FALSE(mentions_number("took 0.32 ms", 32));
  EXPECT_FALSE(mentions_number("objnum 123456789012345678901234567890", 2000));
  EXPECT_TRUE(mentions_number("objnum 18446744073709551615", 18446744073709551615u));
  EXPECT_FALSE(mentions_number("objnum 18446744073709551616", 18446744073709551615u));
  EXPECT_FALSE(mentions_number(std::string(200000, '2'), 2000));
  EXPECT_TRUE(mentions_number(std::string(200000, 'x') + " 2000", 2000));
}

TEST(PrintedText, ConsoleTextDropsTheStampAndTrailingNewline)
{
  EXPECT_EQ(console_text("[   12.345678] took 5 ns\n"), "took 5 ns");
  EXPECT_EQ(console_text("[12.3]objnum=100 \n\n"), "objnum=100");
  EXPECT_EQ(console_text("[12.] not a stamp"), "[12.] not a stamp");
  EXPECT_EQ(console_text("[ 1.5"), "[ 1.5");
  EXPECT_EQ(console_text(""), "");
}
