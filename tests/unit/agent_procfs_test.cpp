#include "agent_test_support.h"

#include "agent/kernel_threads.h"
#include "agent/procfs.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

using namespace kmgrade::agent;
using kmgrade::observe::TaskInfo;
using kmgrade::observe::TraceEvent;

namespace {

using AgentProcfs = FakeKernelRoot;

} // namespace

TEST(ProcStatus, ReadsTheFieldsOfARealStatusFile)
{
  const auto st = parse_proc_status("Name:\tlab5_thread\nUmask:\t0000\nState:\tS (sleeping)\nTgid:\t108\n"
                                    "Ngid:\t0\nPid:\t108\nPPid:\t2\nTracerPid:\t0\nCpus_allowed:\t1\n"
                                    "Cpus_allowed_list:\t0\nMems_allowed_list:\t0\n");
  EXPECT_EQ(st.name, "lab5_thread");
  EXPECT_EQ(st.state, 'S');
  EXPECT_EQ(st.ppid, 2);
  EXPECT_EQ(st.cpus_allowed, "0");
}

// A module names its thread as it likes, and a task may be gone half-way through the read.
TEST(ProcStatus, HostileOrTruncatedContentGivesWhatItHoldsAndDefaultsForTheRest)
{
  const auto colons = parse_proc_status("Name:\tPPid: 2 State: R\nState:\tR (running)\nPPid:\t2");
  EXPECT_EQ(colons.name, "PPid: 2 State: R");
  EXPECT_EQ(colons.state, 'R');
  EXPECT_EQ(colons.ppid, 2) << "the last line counts without its newline";

  const auto truncated = parse_proc_status("Name:\tkthr");
  EXPECT_EQ(truncated.name, "kthr");
  EXPECT_EQ(truncated.state, '?');
  EXPECT_EQ(truncated.ppid, -1);
  EXPECT_EQ(truncated.cpus_allowed, "");

  const auto garbage = parse_proc_status("no colon here\nState:\t\nPPid:\t2x\nPPid\t2\n:\n\n");
  EXPECT_EQ(garbage.name, "");
  EXPECT_EQ(garbage.state, '?');
  EXPECT_EQ(garbage.ppid, -1);

  EXPECT_EQ(parse_proc_status("PPid:\t99999999999999999999\n").ppid, -1);
  EXPECT_EQ(parse_proc_status("").ppid, -1);
}

TEST_F(AgentProcfs, StatusOfAGoneTaskIsNothing)
{
  write_task(42, "lab5_thread", 'R');
  const auto st = proc_status(m_paths, 42);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->name, "lab5_thread");
  EXPECT_EQ(st->state, 'R');
  EXPECT_EQ(st->cpus_allowed, "0-1");
  EXPECT_FALSE(proc_status(m_paths, 43));
}

TEST_F(AgentProcfs, ListsOnlyFoldersNamedByAPid)
{
  for (const char* name : {"1", "2", "108", "self", "sys", "7x", "-3"}) {
    std::filesystem::create_directories(m_paths.proc() / name);
  }
  auto pids = list_pids(m_paths);
  std::sort(pids.begin(), pids.end());
  EXPECT_EQ(pids, (std::vector<int>{1, 2, 108}));
  EXPECT_TRUE(list_pids(kmgrade::agent::KernelPaths{m_paths.root / "nowhere"}).empty());
}

TEST_F(AgentProcfs, ModuleRangeComesFromProcModules)
{
  write("proc/modules", "lab5_cache_alloc 16384 0 - Live 0xffffffffc0a00000 (OE)\n"
                        "lab5_page_alloc 12288 0 - Live 0xffffffffc09f0000 (OE)\n"
                        "short\n");
  const auto range = module_range(m_paths, "lab5_page_alloc");
  EXPECT_EQ(range.base, 0xffffffffc09f0000ULL);
  EXPECT_EQ(range.size, 12288u);
  const auto missing = module_range(m_paths, "lab5_kmem_alloc");
  EXPECT_EQ(missing.base, 0u);
  EXPECT_EQ(missing.size, 0u);
  EXPECT_EQ(module_range(m_paths, "short").size, 0u);
}

TEST_F(AgentProcfs, KernelSymbolsGiveTheKernelsTextAndWhichFunctionsItHas)
{
  write("proc/kallsyms", "0000000000000000 A fixed_percpu_data\n"
                         "ffffffff81000000 T _stext\n"
                         "ffffffff8157c8d0 T __list_add_valid\n"
                         "ffffffff81a39d70 T mutex_lock\n"
                         "ffffffff81c00000 D mutex_unlock\n"
                         "ffffffff81e01d32 T _etext\n"
                         "ffffffffc0203000 t down_read\t[kmlab_hello]\n"
                         "short\n");
  const auto symbols = kernel_symbols(m_paths, {"mutex_lock", "__list_add_valid", "mutex_unlock", "down_read"});
  EXPECT_EQ(symbols.text.base, 0xffffffff81000000ULL);
  EXPECT_EQ(symbols.text.size, 0xe01d32u);
  EXPECT_EQ(symbols.functions, (std::set<std::string>{"__list_add_valid", "mutex_lock"}))
    << "a data symbol and a module's function are not the kernel's functions";

  write("proc/kallsyms", "0000000000000000 T _stext\n0000000000000000 T mutex_lock\n0000000000000000 T _etext\n");
  EXPECT_EQ(kernel_symbols(m_paths, {"mutex_lock"}).text.size, 0u) << "addresses hidden by kptr_restrict";
  std::filesystem::remove(m_paths.proc() / "kallsyms");
  EXPECT_EQ(kernel_symbols(m_paths, {"mutex_lock"}).text.size, 0u);
}

TEST_F(AgentProcfs, APathIsLeftBehindWhileItsFolderListsIt)
{
  std::filesystem::create_directories(m_paths.root / "proc/list");
  write("proc/list/preview", "");
  write("proc/hello_msg", "");
  EXPECT_EQ(paths_still_listed(m_paths, {"/proc/list", "/proc/list/preview", "/proc/list/management", "/proc/hello_msg",
                                         "/proc/gone/preview", "/proc/hello"}),
            (std::vector<std::string>{"/proc/list", "/proc/list/preview", "/proc/hello_msg"}));
  EXPECT_TRUE(paths_still_listed(m_paths, {}).empty());
}

TEST_F(AgentProcfs, CpuTimeAndLastCpuOfATaskWhoseNameLooksLikeFields)
{
  // A real line of a kernel thread, renamed to look like the end of its name and more fields.
  write("proc/57/stat", "57 (x) S 1 2 3) R 2 0 0 0 -1 2129984 0 0 0 0 0 311 0 0 20 0 1 0 28 0 0 "
                        "18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
  write("proc/57/schedstat", "3120456789 1048576 97\n");
  EXPECT_EQ(last_cpu(m_paths, 57), 1);
  EXPECT_EQ(cpu_time_ns(m_paths, 57), 3120456789u);
  EXPECT_FALSE(last_cpu(m_paths, 58));
  EXPECT_FALSE(cpu_time_ns(m_paths, 58));
  write("proc/59/stat", "59 (cut) R 2 0\n");
  EXPECT_FALSE(last_cpu(m_paths, 59));
}

TEST(KernelThreads, WorkersAreTheKernelsOwn)
{
  EXPECT_TRUE(is_worker_name("kworker/0:1"));
  EXPECT_TRUE(is_worker_name("kworker/u4:2"));
  EXPECT_TRUE(is_worker_name("ksoftirqd/1"));
  EXPECT_FALSE(is_worker_name("kworker"));
  EXPECT_FALSE(is_worker_name("my_kworker/0"));
  EXPECT_FALSE(is_worker_name("lab5_thread"));
}

TEST_F(AgentProcfs, WatchFindsTheNewKernelThreadsButNotWorkersOrUserTasks)
{
  write_task(1, "init", 'S', 0);
  write_task(2, "kthreadd", 'S', 0);
  write_task(50, "old_thread", 'R');
  write_task(101, "lab5_thread", 'S', 2, "1");
  write_task(102, "kworker/1:2", 'R');
  write_task(103, "kthreadd", 'R'); // forked, not named yet
  write_task(104, "insmod", 'R', 1);
  std::map<int, TaskInfo> threads;
  threads[102] = TaskInfo{102, "kthreadd", "", false}; // seen before it became a kworker
  const auto first = watch_kernel_threads(m_paths, {1, 2, 50}, threads);
  EXPECT_FALSE(first.running());
  EXPECT_TRUE(first.started);
  EXPECT_TRUE(first.zombies.empty());
  ASSERT_EQ(threads.size(), 1u);
  EXPECT_EQ(threads.at(101).pid, 101);
  EXPECT_EQ(threads.at(101).comm, "lab5_thread");
  EXPECT_EQ(threads.at(101).cpus_allowed, "1");
  EXPECT_FALSE(threads.at(101).exited);

  write_task(101, "lab5_thread", 'R', 2, "1");
  const auto running = watch_kernel_threads(m_paths, {1, 2, 50}, threads);
  EXPECT_TRUE(running.running()) << "the module's thread runs";
  EXPECT_FALSE(running.started) << "it was recorded before";
}

TEST_F(AgentProcfs, WatchSeesWhichRecordedThreadsAreZombies)
{
  std::map<int, TaskInfo> threads;
  EXPECT_TRUE(watch_kernel_threads(m_paths, {}, threads).zombies.empty()) << "no thread was recorded";
  write_task(101, "lab5_a", 'S');
  write_task(102, "lab5_b", 'R');
  EXPECT_TRUE(watch_kernel_threads(m_paths, {}, threads).zombies.empty());
  std::filesystem::remove_all(m_paths.proc() / "101");
  write_task(102, "lab5_b", 'Z');
  const auto look = watch_kernel_threads(m_paths, {}, threads);
  EXPECT_EQ(look.zombies, std::set<int>{102}) << "one gone from /proc, one a zombie";
  EXPECT_FALSE(look.running());
  EXPECT_EQ(threads.size(), 2u) << "both stay recorded";
}

// A thread may start and exit between two looks at /proc: kthreadd's fork and the rename
// in the trace still show it.
TEST(KernelThreads, ThreadsFromTraceTakeTheirNameFromTaskRename)
{
  std::map<int, TaskInfo> threads;
  threads[200] = TaskInfo{200, "seen_in_proc", "0", false};
  const std::vector<TraceEvent> events = {
    trace_event(2, "sched_process_fork",
                {{"comm", "kthreadd"}, {"pid", "2"}, {"child_comm", "kthreadd"}, {"child_pid", "201"}}),
    trace_event(201, "task_rename", {{"pid", "201"}, {"oldcomm", "kthreadd"}, {"newcomm", "lab5_thread"}}),
    trace_event(2, "sched_process_fork",
                {{"comm", "kthreadd"}, {"pid", "2"}, {"child_comm", "kworker/0:3"}, {"child_pid", "202"}}),
    trace_event(2, "sched_process_fork",
                {{"comm", "kthreadd"}, {"pid", "2"}, {"child_comm", "never_renamed"}, {"child_pid", "203"}}),
    trace_event(2, "sched_process_fork",
                {{"comm", "kthreadd"}, {"pid", "2"}, {"child_comm", "kthreadd"}, {"child_pid", "204"}}),
    trace_event(2, "sched_process_fork",
                {{"comm", "kthreadd"}, {"pid", "2"}, {"child_comm", "x"}, {"child_pid", "1e99"}}),
    trace_event(2, "sched_process_fork",
                {{"comm", "kthreadd"}, {"pid", "2"}, {"child_comm", "seen"}, {"child_pid", "200"}}),
    trace_event(1, "sched_process_fork", {{"comm", "init"}, {"pid", "1"}, {"child_comm", "sh"}, {"child_pid", "205"}}),
    trace_event(9, "task_rename", {{"pid", "x pid=203"}, {"newcomm", "forged"}}),
  };
  add_threads_from_trace(events, threads);
  ASSERT_EQ(threads.size(), 3u);
  EXPECT_EQ(threads.at(200).comm, "seen_in_proc");
  EXPECT_EQ(threads.at(201).comm, "lab5_thread");
  EXPECT_EQ(threads.at(201).cpus_allowed, "");
  EXPECT_EQ(threads.at(203).comm, "never_renamed");
}
