#include "agent_test_support.h"

#include "agent/slab.h"
#include "agent/waits.h"

#include <gtest/gtest.h>

#include <functional>

using namespace kmgrade::agent;
using kmgrade::observe::TaskInfo;

namespace {

constexpr std::uint64_t k_ms = 1'000'000;

// A clock that moves only when a wait pauses; at each pause the test changes the fake
// kernel root as the kernel would have by then.
class AgentWaits : public FakeKernelRoot
{
protected:
  WaitClock clock()
  {
    return {[this] { return m_now; },
            [this](std::chrono::microseconds pause) {
              m_now += static_cast<std::uint64_t>(std::chrono::nanoseconds(pause).count());
              ++m_pauses;
              if (m_on_pause) {
                m_on_pause(elapsed_ms());
              }
            }};
  }

  std::uint64_t elapsed_ms() const { return (m_now - k_start) / k_ms; }

  Settling settle(
    std::map<int, TaskInfo>& threads, std::chrono::milliseconds timeout = std::chrono::seconds(30),
    std::function<bool()> give_up = [] { return false; })
  {
    const RunnableProbes probes{[this] {
                                  if (m_on_activity) {
                                    m_on_activity();
                                  }
                                  return m_activity;
                                },
                                [this](int cpu) { return m_cpus_given.count(cpu) > 0; }};
    return settle_threads(
      m_paths, {1, 2}, threads, [this] { return m_events; }, probes, timeout, k_settle_least, give_up, clock());
  }

  void remove_task(int pid) { std::filesystem::remove_all(m_paths.proc() / std::to_string(pid)); }

  // A kernel thread that stays runnable, last on `cpu`; its /proc/<pid>/stat has a name that
  // holds what fields do.
  void write_spinner(int pid, int cpu)
  {
    write_task(pid, "spinner", 'R');
    std::string line = std::to_string(pid) + " (spin) 1 2) R";
    for (int field = 4; field <= 52; ++field) {
      line += " " + std::to_string(field == 39 ? cpu : field);
    }
    write("proc/" + std::to_string(pid) + "/stat", line + "\n");
  }

  // What the trace of thread starts and exits shows of a kernel thread `pid`, named `name`.
  void traced_start(int pid, const std::string& name)
  {
    m_events.push_back(trace_event(
      2, "sched_process_fork",
      {{"comm", "kthreadd"}, {"pid", "2"}, {"child_comm", "kthreadd"}, {"child_pid", std::to_string(pid)}}));
    m_events.push_back(
      trace_event(50, "task_rename", {{"pid", std::to_string(pid)}, {"oldcomm", "kthreadd"}, {"newcomm", name}}));
  }
  void traced_exit(int pid)
  {
    m_events.push_back(trace_event(pid, "sched_process_exit", {{"pid", std::to_string(pid)}}));
  }

  void SetUp() override
  {
    FakeKernelRoot::SetUp();
    write_task(1, "init", 'S', 0);
    write_task(2, "kthreadd", 'S', 0);
  }

  static constexpr std::uint64_t k_start = 5000 * k_ms;
  std::uint64_t m_now = k_start;
  int m_pauses = 0;
  std::function<void(std::uint64_t elapsed_ms)> m_on_pause;
  std::vector<kmgrade::observe::TraceEvent> m_events;
  std::uint64_t m_activity = 0;
  std::function<void()> m_on_activity;
  std::set<int> m_cpus_given = {0, 1};
};

} // namespace

TEST_F(AgentWaits, SettlingEndsAsSoonAsEveryThreadHasExited)
{
  write_task(101, "lab5_thread", 'R');
  m_on_pause = [&](std::uint64_t ms) {
    if (ms == 15) {
      remove_task(101);
      traced_exit(101);
    }
  };
  std::map<int, TaskInfo> threads;
  const auto s = settle(threads);
  EXPECT_TRUE(s.settled);
  EXPECT_EQ(s.ns, 15 * k_ms) << "at the first look after the thread went";
  ASSERT_EQ(threads.count(101), 1u) << "an exited thread stays recorded";
  EXPECT_EQ(threads.at(101).comm, "lab5_thread");
}

// A look at /proc can miss a live thread: without its exit in the trace, a thread that is
// not listed once has not exited, and a spinning thread holds the wait.
TEST_F(AgentWaits, AThreadMissingFromOneLookWithoutAnExitIsStillWaitedFor)
{
  write_task(101, "lab5_thread", 'R');
  m_on_pause = [&](std::uint64_t ms) {
    if (ms == 15) {
      remove_task(101);
    }
    if (ms == 20) {
      write_task(101, "lab5_thread", 'R');
    }
  };
  std::map<int, TaskInfo> threads;
  const auto s = settle(threads);
  EXPECT_GE(s.ns, 150 * k_ms) << "not ended at the look that missed it";
}

TEST_F(AgentWaits, AZombieHasExitedButALiveThreadBesideItIsWaitedFor)
{
  write_task(101, "worker_a", 'R');
  write_task(102, "worker_b", 'R');
  m_on_pause = [&](std::uint64_t ms) {
    if (ms == 10) {
      write_task(101, "worker_a", 'Z');
    }
    if (ms == 200) {
      write_task(102, "worker_b", 'X');
    }
  };
  std::map<int, TaskInfo> threads;
  const auto s = settle(threads);
  EXPECT_TRUE(s.settled);
  EXPECT_EQ(s.ns, 200 * k_ms);
}

TEST_F(AgentWaits, AThreadThatCameAndWentBeforeTheFirstLookIsSeenInTheTrace)
{
  traced_start(101, "lab5_thread");
  traced_exit(101);
  std::map<int, TaskInfo> threads;
  const auto s = settle(threads);
  EXPECT_TRUE(s.settled);
  EXPECT_EQ(s.ns, 0u);
  EXPECT_TRUE(threads.empty()) << "the threads recorded are those /proc showed";
}

TEST_F(AgentWaits, AWorkerThatCameAndWentIsNotTheModules)
{
  traced_start(101, "kworker/0:2");
  traced_exit(101);
  std::map<int, TaskInfo> threads;
  const auto s = settle(threads);
  EXPECT_TRUE(s.settled);
  EXPECT_EQ(s.ns, 150 * k_ms);
}

TEST_F(AgentWaits, AThreadTheTraceSawStartAfterTheLastLookIsWaitedFor)
{
  write_task(101, "first", 'R');
  traced_start(101, "first");
  m_on_pause = [&](std::uint64_t ms) {
    if (ms == 20) {
      remove_task(101);
      traced_exit(101);
      traced_start(102, "second"); // not in /proc yet
    }
    if (ms == 40) {
      traced_exit(102);
    }
  };
  std::map<int, TaskInfo> threads;
  const auto s = settle(threads);
  EXPECT_TRUE(s.settled);
  EXPECT_EQ(s.ns, 40 * k_ms);
}

TEST_F(AgentWaits, AThreadThatSleepsWhenDoneSettlesOnceQuietLongEnough)
{
  write_task(101, "lab5_thread", 'R');
  m_on_pause = [&](std::uint64_t ms) {
    if (ms == 200) {
      write_task(101, "lab5_thread", 'S');
    }
  };
  std::map<int, TaskInfo> threads;
  const auto s = settle(threads);
  EXPECT_TRUE(s.settled);
  EXPECT_EQ(s.ns, (195 + 75) * k_ms) << "75 ms after it was last seen running";
}

TEST_F(AgentWaits, AThreadThatSleepsAMomentBeforeItsWorkIsWaitedFor)
{
  // Seen running as it starts, then asleep until 100 ms, then working for 20 ms.
  write_task(101, "lab5_thread", 'R');
  m_on_pause = [&](std::uint64_t ms) {
    if (ms == 5 || ms == 120) {
      write_task(101, "lab5_thread", 'S');
    }
    if (ms == 100) {
      write_task(101, "lab5_thread", 'R');
    }
  };
  std::map<int, TaskInfo> threads;
  const auto s = settle(threads);
  EXPECT_TRUE(s.settled);
  EXPECT_EQ(s.ns, (115 + 75) * k_ms);
}

TEST_F(AgentWaits, AQuietLoadSettlesNoSoonerThanTheLeastTime)
{
  write_task(101, "never_woken", 'D');
  std::map<int, TaskInfo> threads;
  const auto s = settle(threads);
  EXPECT_TRUE(s.settled);
  EXPECT_EQ(s.ns, 150 * k_ms);

  std::map<int, TaskInfo> none;
  remove_task(101);
  m_now = k_start;
  const auto without = settle(none);
  EXPECT_TRUE(without.settled) << "a module without a thread may start one late";
  EXPECT_EQ(without.ns, 150 * k_ms);
}

TEST_F(AgentWaits, AThreadStartedLateRestartsTheQuietTime)
{
  write_task(101, "first", 'S');
  m_on_pause = [&](std::uint64_t ms) {
    if (ms == 120) {
      write_task(102, "second", 'S');
    }
  };
  std::map<int, TaskInfo> threads;
  const auto s = settle(threads);
  EXPECT_TRUE(s.settled);
  EXPECT_EQ(s.ns, (120 + 75) * k_ms);
  EXPECT_EQ(threads.size(), 2u);
}

TEST_F(AgentWaits, ASpinningThreadUsesUpTheTimeoutUnlessTroubleIsSeen)
{
  write_task(101, "spinner", 'R');
  std::map<int, TaskInfo> threads;
  const auto s = settle(threads, std::chrono::milliseconds(1000));
  EXPECT_FALSE(s.settled);
  EXPECT_EQ(s.ns, 1000 * k_ms);

  m_now = k_start;
  const auto troubled = settle(threads, std::chrono::milliseconds(1000), [this] { return elapsed_ms() >= 30; });
  EXPECT_FALSE(troubled.settled);
  EXPECT_EQ(troubled.ns, 30 * k_ms);
}

TEST_F(AgentWaits, AThreadThatNeverSleepsSettlesAfterItsQuietCpuTime)
{
  // Works, logging or allocating, until 300 ms, then calls schedule() until it is stopped;
  // it has the whole CPU all along.
  write_spinner(101, 1);
  m_on_pause = [&](std::uint64_t ms) {
    write("proc/101/schedstat", std::to_string(ms * k_ms) + " 0 1\n");
    if (ms <= 300) {
      m_activity = ms;
    }
  };
  std::map<int, TaskInfo> threads;
  const auto s = settle(threads);
  EXPECT_TRUE(s.settled);
  EXPECT_EQ(s.ns, (300 + 100) * k_ms) << "100 ms of its own CPU time after the module last did something";
}

TEST_F(AgentWaits, AThreadThatExitsBesideOneThatNeverSleepsStartsTheQuietTimeAgain)
{
  // One thread has the whole CPU; the other, asleep, worked for a second and exits at 120 ms,
  // taking its CPU time out of the sum.
  write_spinner(101, 1);
  write_task(102, "helper", 'S');
  write("proc/102/schedstat", "1000000000 0 1\n");
  m_on_pause = [&](std::uint64_t ms) {
    write("proc/101/schedstat", std::to_string(ms * k_ms) + " 0 1\n");
    if (ms == 120) {
      remove_task(102);
    }
  };
  std::map<int, TaskInfo> threads;
  const auto s = settle(threads);
  EXPECT_TRUE(s.settled);
  EXPECT_EQ(s.ns, (120 + 100) * k_ms);
}

TEST_F(AgentWaits, AThreadThatHoldsItsCpuIsNotSettled)
{
  // Quiet on CPU 1, but never gives it to anyone: a lockup, which the kernel will report.
  write_spinner(101, 1);
  m_cpus_given = {0};
  m_on_pause = [&](std::uint64_t ms) { write("proc/101/schedstat", std::to_string(ms * k_ms) + " 0 1\n"); };
  int asked = 0;
  m_on_activity = [&] { ++asked; };
  std::map<int, TaskInfo> threads;
  const auto s = settle(threads, std::chrono::milliseconds(1000));
  EXPECT_FALSE(s.settled);
  EXPECT_EQ(s.ns, 1000 * k_ms);
  EXPECT_EQ(asked, 0) << "counting the module's calls waits for a grace period the held CPU holds up";
}

TEST_F(AgentWaits, ARunnableThreadThatGetsNoCpuIsNotTakenForAQuietOne)
{
  // A guest starved by a busy host: time passes, the thread has had none of it.
  write_spinner(101, 1);
  write("proc/101/schedstat", "1000000 0 1\n");
  std::map<int, TaskInfo> threads;
  const auto s = settle(threads, std::chrono::milliseconds(1000));
  EXPECT_FALSE(s.settled);
  EXPECT_EQ(s.ns, 1000 * k_ms);
}

TEST_F(AgentWaits, ExitPathEndsWhenTheThreadsAndTheCachesAreGone)
{
  write_task(101, "lab5_thread", 'Z');
  write("sys/kernel/slab/lab5_cache/objects", "0\n");
  write("sys/kernel/slab/kmalloc-32/objects", "99\n");
  const std::map<int, TaskInfo> threads{{101, TaskInfo{101, "lab5_thread", "0", false}}};
  const auto created = caches_created(m_paths, {"kmalloc-32"});
  m_on_pause = [&](std::uint64_t ms) {
    if (ms == 6) {
      remove_task(101);
    }
    if (ms == 10) {
      std::filesystem::remove_all(m_paths.slab() / "lab5_cache");
    }
  };
  EXPECT_TRUE(await_exit_path(m_paths, threads, created, clock()));
  EXPECT_EQ(elapsed_ms(), 10u);
  EXPECT_TRUE(caches_left(m_paths, created).empty());
}

TEST_F(AgentWaits, ExitPathWithNothingLeftEndsAtOnce)
{
  const std::map<int, TaskInfo> threads{{101, TaskInfo{101, "gone", "0", false}}};
  EXPECT_TRUE(await_exit_path(m_paths, threads, {}, clock()));
  EXPECT_EQ(m_pauses, 0);
}

TEST_F(AgentWaits, ACacheNeverDestroyedHoldsTheExitPathToItsLimit)
{
  write("sys/kernel/slab/lab5_cache/objects", "7\n");
  write("sys/kernel/slab/lab5_cache/object_size", "32\n");
  const auto created = caches_created(m_paths, {});
  EXPECT_FALSE(await_exit_path(m_paths, {}, created, clock()));
  EXPECT_EQ(elapsed_ms(), 100u);
  const auto left = caches_left(m_paths, created);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].objects, 7);
}

TEST_F(AgentWaits, AThreadNeverStoppedHoldsTheExitPathToItsLimit)
{
  write_task(101, "lab5_thread", 'S');
  const std::map<int, TaskInfo> threads{{101, TaskInfo{101, "lab5_thread", "0", false}}};
  EXPECT_FALSE(await_exit_path(m_paths, threads, {}, clock()));
  EXPECT_EQ(elapsed_ms(), 100u);
}
