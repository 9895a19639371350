#include "agent_test_support.h"

#include "agent/tracer.h"
#include "util/files.h"

#include <gtest/gtest.h>

using namespace kmgrade::agent;
using kmgrade::util::read_file;

namespace {

class AgentTracer : public FakeKernelRoot
{
protected:
  void SetUp() override
  {
    FakeKernelRoot::SetUp();
    for (const char* file : {"tracing_on", "current_tracer", "buffer_size_kb", "trace_clock", "trace", "trace_pipe",
                             "events/kmem/kmalloc/enable", "events/sched/sched_waking/enable"}) {
      write(std::string("sys/kernel/tracing/") + file, "untouched");
    }
    m_plan.events = {"kmem:kmalloc", "sched:sched_waking", "kmem:not_in_this_kernel"};
    m_plan.trace_buffer_kb = 4096;
  }

  std::string tracefs(const std::string& file) { return read_file(m_paths.tracing() / file); }

  kmgrade::observe::Plan m_plan;
};

} // namespace

TEST_F(AgentTracer, SetupEnablesThePlansEventsAndFunctions)
{
  write("sys/kernel/tracing/set_ftrace_filter", "old_function\n");
  m_plan.functions = {"kthread_bind", "set_cpus_allowed_ptr"};
  Tracer tracer(m_plan, m_paths);
  EXPECT_EQ(tracer.setup(), std::vector<std::string>{"cannot enable the trace event kmem:not_in_this_kernel"});
  EXPECT_EQ(tracefs("tracing_on"), "0");
  EXPECT_EQ(tracefs("buffer_size_kb"), "4096");
  EXPECT_EQ(tracefs("trace_clock"), "mono");
  EXPECT_EQ(tracefs("trace"), "") << "the buffer is emptied once";
  EXPECT_EQ(tracefs("events/kmem/kmalloc/enable"), "1");
  EXPECT_EQ(tracefs("events/sched/sched_waking/enable"), "1");
  EXPECT_FALSE(std::filesystem::exists(m_paths.tracing() / "events/kmem/not_in_this_kernel"))
    << "a control file the kernel lacks is never created";
  EXPECT_EQ(tracefs("set_ftrace_filter"), "kthread_bind\nset_cpus_allowed_ptr\n");
  EXPECT_EQ(tracefs("current_tracer"), "function");
}

TEST_F(AgentTracer, WithoutAFunctionFilterTheTracerStaysNop)
{
  m_plan.functions = {"kthread_bind"};
  Tracer tracer(m_plan, m_paths);
  const auto problems = tracer.setup();
  EXPECT_EQ(tracefs("current_tracer"), "nop");
  EXPECT_EQ(problems.back(), "cannot trace the function kthread_bind: not in available_filter_functions (a notrace or "
                             "inlined function, or none of that name)");
  ASSERT_EQ(tracer.untraceable().size(), 1u);
  EXPECT_EQ(tracer.untraceable()[0].function, "kthread_bind");

  m_plan.functions.clear();
  write("sys/kernel/tracing/set_ftrace_filter", "kept\n");
  tracer.setup();
  EXPECT_EQ(tracefs("current_tracer"), "nop");
  EXPECT_EQ(tracefs("set_ftrace_filter"), "kept\n");
}

TEST_F(AgentTracer, EachFunctionTheKernelRefusesIsNamedAndTheRestAreTraced)
{
  // The kernel refuses a name it does not have in available_filter_functions; on the fake
  // root a filter file that cannot be written stands in for every refusal.
  write("sys/kernel/tracing/set_ftrace_filter", "");
  m_plan.functions = {"kthread_bind", "set_cpus_allowed_ptr"};
  Tracer tracer(m_plan, m_paths);
  tracer.setup();
  EXPECT_TRUE(tracer.untraceable().empty());
  EXPECT_EQ(tracefs("current_tracer"), "function");
  std::filesystem::remove(m_paths.tracing() / "current_tracer");
  tracer.setup();
  EXPECT_EQ(each(tracer.untraceable(), [](const auto& u) { return u.function + ": " + u.why; }),
            (std::vector<std::string>{"kthread_bind: this kernel has no function tracer",
                                      "set_cpus_allowed_ptr: this kernel has no function tracer"}));
}

namespace {

// /proc/kallsyms as the sandbox's kernel lists it, cut down: the kernel's text from _stext to
// _etext, a notrace function, and a module's symbols, which never count as the kernel's.
const char* const k_kallsyms = "0000000000000000 A fixed_percpu_data\n"
                               "ffffffff81000000 T _stext\n"
                               "ffffffff81000000 T startup_64\n"
                               "ffffffff8157c8d0 T __list_add_valid\n"
                               "ffffffff81a39d70 T mutex_lock\n"
                               "ffffffff81a3a1e0 T mutex_unlock\n"
                               "ffffffff81e01d32 T _etext\n"
                               "ffffffffc0203000 t msg_read\t[kmlab_hello]\n"
                               "ffffffffc0203100 t kmgrade_no_such_function\t[kmlab_hello]\n";

} // namespace

TEST_F(AgentTracer, ModuleCallsAreKprobesTheKernelFiltersByCaller)
{
  write("proc/kallsyms", k_kallsyms);
  write("sys/kernel/tracing/kprobe_events", "p:theirs/probe vfs_read\n");
  write("sys/kernel/tracing/events/kmgrade/filter", "0");
  write("sys/kernel/tracing/events/kmgrade/enable", "0");
  m_plan.module_calls = {"mutex_lock", "mutex_unlock"};
  Tracer tracer(m_plan, m_paths);
  EXPECT_EQ(tracer.setup(), std::vector<std::string>{"cannot enable the trace event kmem:not_in_this_kernel"});
  EXPECT_TRUE(tracer.untraceable().empty());
  EXPECT_EQ(tracefs("kprobe_events"), "p:theirs/probe vfs_read\n"
                                      "-:kmgrade/kmgrade_call_0\n"
                                      "p:kmgrade/kmgrade_call_0 mutex_lock parent=$stack0:symbol\n"
                                      "-:kmgrade/kmgrade_call_1\n"
                                      "p:kmgrade/kmgrade_call_1 mutex_unlock parent=$stack0:symbol\n")
    << "appended, never truncated: that would drop every probe, others' too";
  EXPECT_EQ(tracefs("events/kmgrade/filter"), "parent < 0xffffffff81000000 || parent >= 0xffffffff81e01d32");
  EXPECT_EQ(tracefs("events/kmgrade/enable"), "1");
  EXPECT_EQ(tracefs("current_tracer"), "nop") << "module calls need no function tracer";

  // Lines the sandbox's kernel printed for the hello lab's reference, read while it was loaded.
  write("sys/kernel/tracing/trace_pipe",
        "        kmg-step-159     [000] .....    17.102475: kmgrade_call_0: (mutex_lock+0x0/0x30) "
        "parent=msg_write+0x63/0xc0 [kmlab_hello]\n"
        "        kmg-step-159     [000] .....    17.102501: kmgrade_call_1: (mutex_unlock+0x0/0x30) "
        "parent=0xffffffffc0203109\n"
        "        kmg-step-159     [000] .....    17.102600: kmalloc: call_site=msg_write+0x20/0xc0 [kmlab_hello] "
        "ptr=ffff8bd743f422a0\n");
  const auto events = tracer.read_events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].name, "module_call");
  EXPECT_EQ(events[0].pid, 159);
  EXPECT_EQ(events[0].field("func"), "mutex_lock");
  EXPECT_EQ(events[0].field("parent"), "msg_write+0x63/0xc0 [kmlab_hello]");
  EXPECT_EQ(events[0].text, "mutex_lock <-msg_write+0x63/0xc0 [kmlab_hello]");
  EXPECT_EQ(events[1].field("func"), "mutex_unlock");
  EXPECT_EQ(events[1].field("parent"), "0xffffffffc0203109");
  EXPECT_EQ(events[2].name, "kmalloc");

  tracer.restore();
  EXPECT_EQ(tracefs("events/kmgrade/enable"), "0");
  const auto probes = tracefs("kprobe_events");
  EXPECT_EQ(probes.substr(probes.size() - 50), "-:kmgrade/kmgrade_call_0\n-:kmgrade/kmgrade_call_1\n")
    << "each probe removed by its name";
}

TEST_F(AgentTracer, AModuleCallThatCannotBeTracedIsNamedWithWhy)
{
  m_plan.module_calls = {"mutex_lock", "__list_add_valid"};
  Tracer tracer(m_plan, m_paths);
  const auto why = [&tracer] {
    return each(tracer.untraceable(), [](const auto& u) { return u.function + ": " + u.why; });
  };
  EXPECT_EQ(tracer.setup().back(), "cannot trace the module's calls of __list_add_valid: this kernel has no kprobe "
                                   "events (CONFIG_KPROBE_EVENTS)");
  EXPECT_EQ(tracer.untraceable().size(), 2u);

  write("sys/kernel/tracing/kprobe_events", "");
  write("proc/kallsyms", "0000000000000000 T _stext\n0000000000000000 T mutex_lock\n0000000000000000 T _etext\n");
  tracer.setup();
  EXPECT_EQ(why().front(), "mutex_lock: /proc/kallsyms hides the kernel's addresses (kptr_restrict), so the kernel's "
                           "own calls cannot be told from the module's");
  EXPECT_EQ(tracefs("kprobe_events"), "") << "no probe the kernel could not filter";

  // A kernel that refuses every probe: a folder in place of kprobe_events cannot be written.
  std::filesystem::remove(m_paths.tracing() / "kprobe_events");
  std::filesystem::create_directories(m_paths.tracing() / "kprobe_events");
  write("proc/kallsyms", k_kallsyms);
  m_plan.module_calls = {"__list_add_valid", "kmgrade_no_such_function"};
  tracer.setup();
  EXPECT_EQ(why(), (std::vector<std::string>{
                     "__list_add_valid: the kernel will not probe it: a notrace function (not in "
                     "available_filter_functions)",
                     "kmgrade_no_such_function: the kernel has no function of that name (inlined, or absent)"}))
    << "a module's symbol of the name is not the kernel's function";

  // Probes the kernel will not filter by caller would flood the trace: they are removed.
  std::filesystem::remove(m_paths.tracing() / "kprobe_events");
  write("sys/kernel/tracing/kprobe_events", "");
  m_plan.module_calls = {"mutex_lock"};
  tracer.setup();
  EXPECT_EQ(why(), std::vector<std::string>{"mutex_lock: the kernel would not filter its calls by caller"});
  EXPECT_EQ(tracefs("kprobe_events"), "-:kmgrade/kmgrade_call_0\n"
                                      "p:kmgrade/kmgrade_call_0 mutex_lock parent=$stack0:symbol\n"
                                      "-:kmgrade/kmgrade_call_0\n");
}

TEST_F(AgentTracer, ReadEventsParsesWhatThePipeHandsOut)
{
  Tracer tracer(m_plan, m_paths);
  tracer.start();
  EXPECT_EQ(tracefs("tracing_on"), "1");
  EXPECT_EQ(tracefs("trace"), "untouched") << "starting does not clear the buffer: reading empties it";
  // Longer than one read of the pipe, so lines arrive cut in two; the last one has no newline.
  std::string noise;
  for (int i = 0; i < 2000; ++i) {
    noise += "not an event " + std::to_string(i) + "\n";
  }
  write("sys/kernel/tracing/trace_pipe",
        noise +
          "      kmem_alloc-108     [001] .....    12.345678: kmalloc: call_site=fn+0x54/0xaf [lab5_kmem_alloc] "
          "ptr=ffff8bd743f422a0 bytes_req=32\n" +
          noise + "            init-1       [000] ...1.     3.678975: kthread_bind <-page_alloc_mod_init");
  tracer.stop();
  EXPECT_EQ(tracefs("tracing_on"), "0");
  const auto events = tracer.read_events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].name, "kmalloc");
  EXPECT_EQ(events[0].pid, 108);
  EXPECT_EQ(events[0].cpu, 1);
  EXPECT_EQ(events[0].field("bytes_req"), "32");
  EXPECT_EQ(events[1].name, "function");
  EXPECT_EQ(events[1].field("func"), "kthread_bind");
}

TEST_F(AgentTracer, NoPipeNoEvents)
{
  std::filesystem::remove(m_paths.tracing() / "trace_pipe");
  Tracer tracer(m_plan, m_paths);
  EXPECT_TRUE(tracer.read_events().empty());
}

TEST_F(AgentTracer, ThreadLifeTracerHasAnInstanceOfItsOwn)
{
  const std::string instance = "sys/kernel/tracing/instances/kmgrade-threads/";
  for (const char* file : {"tracing_on", "buffer_size_kb", "trace_pipe", "events/sched/sched_process_fork/enable",
                           "events/sched/sched_process_fork/filter", "events/sched/sched_process_exit/enable",
                           "events/task/task_rename/enable"}) {
    write(instance + file, "untouched");
  }
  ThreadLifeTracer tracer(m_paths);
  tracer.setup();
  EXPECT_EQ(tracefs("instances/kmgrade-threads/tracing_on"), "1");
  EXPECT_EQ(tracefs("instances/kmgrade-threads/events/sched/sched_process_fork/enable"), "1");
  EXPECT_EQ(tracefs("instances/kmgrade-threads/events/sched/sched_process_fork/filter"), "parent_pid == 2");
  EXPECT_EQ(tracefs("instances/kmgrade-threads/events/sched/sched_process_exit/enable"), "1");
  EXPECT_EQ(tracefs("instances/kmgrade-threads/events/task/task_rename/enable"), "1");
  EXPECT_EQ(tracefs("tracing_on"), "untouched") << "the plan's trace is not the instance's business";

  // The kernel's pipe hands an event out once; on the fake root a file read once stands in.
  const auto pipe = m_paths.tracing() / "instances/kmgrade-threads/trace_pipe";
  auto hand_out = [&](const std::string& child) {
    write(instance + "trace_pipe", "         kthreadd-2       [000] .....    12.3: sched_process_fork: comm=kthreadd "
                                   "pid=2 child_comm=kthreadd child_pid=" +
                                     child + "\n");
    auto seen = tracer.events();
    std::filesystem::remove(pipe);
    return seen;
  };
  auto seen = hand_out("108");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].field("child_pid"), "108");
  // What the pipe hands out later is added to what it handed out before.
  seen = hand_out("109");
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].field("child_pid"), "109");
  tracer.restart();
  EXPECT_TRUE(tracer.events().empty());
}

TEST_F(AgentTracer, WithoutInstancesThreadLifeTracerSeesNothing)
{
  ThreadLifeTracer tracer(KernelPaths{m_paths.root / "nowhere"});
  tracer.setup();
  tracer.restart();
  EXPECT_TRUE(tracer.events().empty());
}

TEST_F(AgentTracer, RestorePutsBackWhatSetupFound)
{
  write("sys/kernel/tracing/tracing_on", "1\n");
  write("sys/kernel/tracing/current_tracer", "function_graph\n");
  write("sys/kernel/tracing/buffer_size_kb", "7 (expanded: 1408)\n");
  write("sys/kernel/tracing/trace_clock", "[local] global counter uptime perf mono mono_raw boot\n");
  write("sys/kernel/tracing/events/kmem/kmalloc/enable", "0\n");
  write("sys/kernel/tracing/events/sched/sched_waking/enable", "1\n");
  write("sys/kernel/tracing/set_ftrace_filter", "#### all functions enabled ####\n");
  m_plan.functions = {"kthread_bind"};
  Tracer tracer(m_plan, m_paths);
  tracer.setup();
  tracer.restore();
  EXPECT_EQ(tracefs("tracing_on"), "1");
  EXPECT_EQ(tracefs("current_tracer"), "function_graph");
  EXPECT_EQ(tracefs("buffer_size_kb"), "7");
  EXPECT_EQ(tracefs("trace_clock"), "local");
  EXPECT_EQ(tracefs("events/kmem/kmalloc/enable"), "0");
  EXPECT_EQ(tracefs("events/sched/sched_waking/enable"), "1");
  EXPECT_EQ(tracefs("set_ftrace_filter"), "") << "a filter that filtered nothing is cleared";
  EXPECT_EQ(tracefs("trace"), "");
}

TEST_F(AgentTracer, RestoreWritesBackAFunctionFilterThatWasSet)
{
  write("sys/kernel/tracing/set_ftrace_filter", "vfs_read\nvfs_write\n");
  m_plan.functions = {"kthread_bind"};
  Tracer tracer(m_plan, m_paths);
  tracer.setup();
  ASSERT_EQ(tracefs("set_ftrace_filter"), "kthread_bind\n");
  tracer.restore();
  EXPECT_EQ(tracefs("set_ftrace_filter"), "vfs_read\nvfs_write\n");
}

TEST_F(AgentTracer, ThreadLifeTracerRemovesItsInstance)
{
  ThreadLifeTracer tracer(m_paths);
  std::filesystem::create_directories(m_paths.tracing() / "instances");
  tracer.setup();
  ASSERT_TRUE(std::filesystem::is_directory(m_paths.tracing() / "instances/kmgrade-threads"));
  tracer.remove();
  EXPECT_FALSE(std::filesystem::exists(m_paths.tracing() / "instances/kmgrade-threads"));
}

TEST_F(AgentTracer, ActivityTracerCountsTheModulesCallsOnlyOnceArmed)
{
  const std::string dir = "sys/kernel/tracing/instances/kmgrade-activity/";
  for (const char* file : {"buffer_size_kb", "tracing_on", "events/kmem/filter", "events/kmem/kmalloc/enable",
                           "events/kmem/kfree/enable"}) {
    write(dir + file, "untouched");
  }
  write(dir + "per_cpu/cpu0/stats", "entries: 12\noverrun: 30\ncommit overrun: 7\nbytes: 900\n");
  write(dir + "per_cpu/cpu1/stats", "entries: 5\noverrun: 0\n");
  ModuleActivityTracer tracer({"kmem:kmalloc", "kmem:kfree"}, m_paths);
  tracer.setup();
  EXPECT_EQ(tracefs("instances/kmgrade-activity/events/kmem/kmalloc/enable"), "untouched");
  EXPECT_EQ(tracer.count({0xffffffffc0a00000ULL, 0x1000}), 47u) << "entries and overruns, not commit overruns";
  EXPECT_EQ(tracefs("instances/kmgrade-activity/events/kmem/filter"),
            "call_site >= 18446744072646295552 && call_site < 18446744072646299648");
  EXPECT_EQ(tracefs("instances/kmgrade-activity/events/kmem/kmalloc/enable"), "1");
  EXPECT_EQ(tracefs("instances/kmgrade-activity/events/kmem/kfree/enable"), "1");

  write(dir + "events/kmem/filter", "kept");
  tracer.count({0x1000, 0x10});
  EXPECT_EQ(tracefs("instances/kmgrade-activity/events/kmem/filter"), "kept") << "armed once per load";
  tracer.disarm();
  EXPECT_EQ(tracefs("instances/kmgrade-activity/events/kmem/kmalloc/enable"), "0");
}
