#include "util/process.h"

#include <gtest/gtest.h>

#include <chrono>

using namespace kmgrade;

namespace {

// A program that closes its output and then runs on.
const std::vector<std::string> k_silent_sleeper = {"sh", "-c", "exec >/dev/null 2>&1; sleep 30"};

double seconds_since(std::chrono::steady_clock::time_point start)
{
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

TEST(Process, OutputAndExitCode)
{
  const auto r = util::run_process({"sh", "-c", "echo hi; echo err >&2; exit 3"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.output, "hi\nerr\n");
  EXPECT_FALSE(r.timed_out);
}

TEST(Process, TheTimeLimitHoldsAfterTheOutputCloses)
{
  util::ProcessOptions options;
  options.timeout = std::chrono::milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  const auto r = util::run_process(k_silent_sleeper, options);
  EXPECT_LT(seconds_since(start), 5.0);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.exit_code, -1);
}

TEST(Process, KeepGoingHoldsAfterTheOutputCloses)
{
  util::ProcessOptions options;
  int asked = 0;
  options.keep_going = [&asked] { return ++asked < 3; };
  const auto start = std::chrono::steady_clock::now();
  const auto r = util::run_process(k_silent_sleeper, options);
  EXPECT_LT(seconds_since(start), 5.0);
  EXPECT_TRUE(r.stopped);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(asked, 3);
}
