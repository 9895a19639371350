#include "agent/channel.h"
#include "agent/watchdog.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <future>
#include <thread>

using namespace kmgrade::agent;

namespace {

// The read end of a pipe the channel writes to.
class ChannelPipe
{
public:
  ChannelPipe()
  {
    int fds[2];
    EXPECT_EQ(::pipe2(fds, O_NONBLOCK), 0);
    m_read = fds[0];
    m_write = fds[1];
  }
  ~ChannelPipe()
  {
    ::close(m_read);
    ::close(m_write);
  }
  int write_end() const { return m_write; }
  std::string drain()
  {
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = ::read(m_read, buf, sizeof buf)) > 0;) {
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }

private:
  int m_read = -1;
  int m_write = -1;
};

} // namespace

TEST(AgentChannel, EachLineIsTheBootsPrefixTheKindAndItsJson)
{
  ChannelPipe pipe;
  Channel channel(pipe.write_end(), "s3cret");
  channel.send("hello", {{"kernel", "6.1.0-28-amd64"}, {"cpus", 2}});
  channel.send("run", {{"text", "bad \xff byte"}});
  EXPECT_EQ(pipe.drain(), "KMG s3cret hello {\"cpus\":2,\"kernel\":\"6.1.0-28-amd64\"}\n"
                          "KMG s3cret run {\"text\":\"bad \\ufffd byte\"}\n");
}

TEST(AgentChannel, HeartbeatsGoOutUntilStopped)
{
  ChannelPipe pipe;
  Channel channel(pipe.write_end(), "s");
  channel.start_heartbeat(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  channel.stop_heartbeat();
  const std::string beats = pipe.drain();
  ASSERT_FALSE(beats.empty());
  std::size_t lines = 0;
  for (std::size_t at = 0; at < beats.size(); at = beats.find('\n', at) + 1) {
    EXPECT_EQ(beats.substr(at, beats.find('\n', at) - at), "KMG s alive {}");
    ++lines;
  }
  EXPECT_GE(lines, 1u);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(pipe.drain(), "");
}

TEST(AgentWatchdog, ACallThatReturnsIsRecordedWithItsResult)
{
  std::string name(16, '\0');
  auto outcome = call_with_watchdog(
    "kmg-test",
    [&name] {
      ::pthread_getname_np(::pthread_self(), name.data(), name.size());
      return 0;
    },
    std::chrono::seconds(10));
  EXPECT_TRUE(outcome.returned);
  EXPECT_EQ(name.c_str(), std::string("kmg-test"));
  EXPECT_NE(outcome.tid, 0);
  EXPECT_NE(outcome.tid, ::gettid());
  kmgrade::observe::StepResult step;
  record_call(step, outcome);
  EXPECT_TRUE(step.attempted);
  EXPECT_TRUE(step.ok);
  EXPECT_FALSE(step.hung);
  EXPECT_EQ(step.error, "");

  outcome = call_with_watchdog(
    "kmg-test", [] { return -ENOENT; }, std::chrono::seconds(10));
  kmgrade::observe::StepResult failed;
  record_call(failed, outcome);
  EXPECT_FALSE(failed.ok);
  EXPECT_EQ(failed.error_code, ENOENT);
  EXPECT_EQ(failed.error, "No such file or directory");
}

TEST(AgentWatchdog, ACallThatDoesNotReturnInTimeIsHung)
{
  std::promise<void> release;
  auto released = release.get_future().share();
  const auto outcome = call_with_watchdog(
    "kmg-test",
    [released] {
      released.wait();
      return 0;
    },
    std::chrono::milliseconds(50));
  release.set_value();
  EXPECT_FALSE(outcome.returned);
  EXPECT_NE(outcome.tid, 0);
  EXPECT_EQ(outcome.duration_ns, 50'000'000u);
  kmgrade::observe::StepResult step;
  record_call(step, outcome);
  EXPECT_TRUE(step.hung);
  EXPECT_FALSE(step.ok);
  EXPECT_EQ(step.error, "did not return");
}
