// The host's watch on a boot's channel: the agent first asks for its plan, and the limits of
// the loads count only from when the plan went out, so a slow build costs the guest nothing.

#include "observe/delivery.h"
#include "observe/observation.h"
#include "run/channel_watch.h"
#include "run/sandbox_vm.h"
#include "temp_folder.h"

#include <gtest/gtest.h>

#include <fstream>

using kmgrade::run::ChannelWatch;
using kmgrade::run::GuestTime;
using namespace std::chrono_literals;

namespace {

class ChannelWatchTest : public TempFolderTest
{
protected:
  ChannelWatch make(std::chrono::seconds start_limit = 180s)
  {
    return ChannelWatch(m_dir / "channel.log", "s3cret", start_limit, {}, {},
                        GuestTime(m_dir / "no-proc", [this] { return m_now; }));
  }

  void says(const std::string& text) { std::ofstream(m_dir / "channel.log", std::ios::app) << text; }

  void agent_says(const std::string& kind) { says(kmgrade::observe::channel_prefix("s3cret") + kind + " {}\n"); }

  std::chrono::nanoseconds m_now = 1000s;
};

} // namespace

TEST_F(ChannelWatchTest, AnAgentThatNeverAsksForItsPlanIsStoppedAtTheStartLimit)
{
  auto watch = make(20s);
  m_now += 19s;
  EXPECT_TRUE(watch.keep_going());
  m_now += 1s;
  EXPECT_FALSE(watch.keep_going());
  EXPECT_EQ(watch.stall(), "its agent did not start within 20 s");
}

TEST_F(ChannelWatchTest, WaitingForTheHostsBuildCostsTheGuestNothing)
{
  auto watch = make();
  m_now += 3s;
  says(std::string(kmgrade::observe::k_delivery_request));
  EXPECT_TRUE(watch.keep_going());
  EXPECT_TRUE(watch.asked());
  // The build takes longer than an agent may take to start, and longer than the boot's limit.
  m_now += 400s;
  EXPECT_TRUE(watch.keep_going());
  watch.limits_from(200s, 100s);
  watch.delivered();
  m_now += 10s;
  agent_says("hello");
  EXPECT_TRUE(watch.keep_going());
  m_now += 2s;
  agent_says("alive");
  agent_says("run");
  EXPECT_TRUE(watch.keep_going());
  // The boot's limit counts from the delivery.
  m_now += 17s;
  agent_says("alive");
  EXPECT_TRUE(watch.keep_going());
  m_now += 19s;
  agent_says("alive");
  EXPECT_TRUE(watch.keep_going());
  m_now += 19s;
  agent_says("alive");
  EXPECT_TRUE(watch.keep_going());
  m_now += 19s;
  agent_says("alive");
  EXPECT_TRUE(watch.keep_going());
  m_now += 14s;
  agent_says("alive");
  EXPECT_FALSE(watch.keep_going());
  EXPECT_EQ(watch.stall(), "it did not finish within 100 s");
}

TEST_F(ChannelWatchTest, AnAgentThatGetsItsPlanButNeverAnswersIsStopped)
{
  auto watch = make(30s);
  says(std::string(kmgrade::observe::k_delivery_request));
  EXPECT_TRUE(watch.keep_going());
  watch.limits_from(60s, 600s);
  watch.delivered();
  m_now += 29s;
  EXPECT_TRUE(watch.keep_going());
  m_now += 1s;
  EXPECT_FALSE(watch.keep_going());
  EXPECT_EQ(watch.stall(), "its agent did not start within 30 s");
}

TEST_F(ChannelWatchTest, TheRequestIsOnlyTheAgentsWhenItComesWhole)
{
  auto watch = make(20s);
  says("kmgrade-agent: ready for the plan, or so a module says\n");
  EXPECT_TRUE(watch.keep_going());
  EXPECT_FALSE(watch.asked());
}
