#include "run/guest_time.h"

#include "temp_folder.h"

#include <gtest/gtest.h>

#include <fstream>

using kmgrade::run::GuestTime;
using namespace std::chrono_literals;

namespace {

class GuestTimeTest : public TempFolderTest
{
protected:
  void schedstat(int tid, const std::string& text)
  {
    const auto dir = m_dir / "4242/task" / std::to_string(tid);
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "schedstat") << text;
  }

  GuestTime make()
  {
    return GuestTime(m_dir, [this] { return m_now; });
  }

  std::chrono::nanoseconds m_now = 1000s;
};

} // namespace

TEST_F(GuestTimeTest, TheLongestWaitOfAnyQemuThreadForAHostCpuDoesNotCount)
{
  auto time = make();
  time.watch(4242);
  m_now += 30s;
  schedstat(4242, "1000000 2000000000 10\n");    // the main loop waited 2 s
  schedstat(4250, "9000000000 7500000000 99\n"); // a vCPU thread waited 7.5 s
  schedstat(4251, "garbage\n");
  EXPECT_EQ(time.wall(), 30s);
  EXPECT_EQ(time.waited(), 7500ms);
  EXPECT_EQ(time.elapsed(), 22500ms);

  // A thread that ended keeps counting with what it was last seen to wait.
  std::filesystem::remove_all(m_dir / "4242/task/4250");
  m_now += 10s;
  EXPECT_EQ(time.elapsed(), 32500ms);
}

TEST_F(GuestTimeTest, BeforeQemuIsKnownOrWithoutSchedstatItIsWallTime)
{
  auto time = make();
  schedstat(4242, "1 5000000000 1\n");
  m_now += 12s;
  EXPECT_EQ(time.elapsed(), 12s) << "no process watched yet";
  time.watch(4343);
  EXPECT_EQ(time.elapsed(), 12s) << "a process without /proc/<pid>/task";
}
