// The checks, fed with observations recorded from real sandbox runs (tests/recorded.h).

#include "recorded.h"

using namespace kmgrade;
using evaluate::Status;
using kmgrade::testing::Recorded;

TEST(RecordedReference, EveryAutomaticCheckPasses)
{
  Recorded rec("reference");
  EXPECT_EQ(rec.report().page_size, 4096);
  EXPECT_GE(rec.report().cpus, 2);
  auto rubric = score::load_rubric(KMGRADE_RUBRIC);
  for (const auto& ex : rubric.exercises) {
    for (const auto& c : ex.checks) {
      if (!c.manual) {
        auto v = rec.verdict(c.id);
        EXPECT_EQ(v.status, Status::pass) << c.id << ": " << v.message;
      }
    }
  }
  auto order = rec.verdict("page_alloc.order");
  EXPECT_NE(order.message.find("order 10 for objnum 100000"), std::string::npos) << order.message;
  EXPECT_NE(order.message.find("order 1 for objnum 129"), std::string::npos) << order.message;
}

// slub_debug's stack depot takes an order-2 page in whatever task calls kmalloc, at any point
// of the load: recorded runs with such a page appended after the work.
TEST(RecordedReference, StackDepotPagesAreTheKernelsNotTheModules)
{
  for (const char* gfp : {"__GFP_NOWARN", "GFP_KERNEL"}) {
    Recorded rec("reference");
    for (const char* module : {"page_alloc", "kmem_alloc"}) {
      for (auto& run : rec.evidence(module).runs) {
        observe::TraceEvent ev;
        ev.name = "mm_page_alloc";
        ev.pid = run.threads.front().pid;
        ev.comm = run.threads.front().comm;
        ev.fields = {{"order", "2"}, {"gfp_flags", gfp}, {"pfn", "0x1100"}, {"migratetype", "0"}};
        observe::Segment segment;
        segment.block.push_back({ev, {}});
        run.events.segments.push_back(segment);
      }
    }
    const bool depot = std::string(gfp) == "__GFP_NOWARN";
    for (const char* id :
         {"page_alloc.free", "page_alloc.no-leak", "page_alloc.timing", "kmem_alloc.approach", "kmem_alloc.timing"}) {
      auto v = rec.verdict(id);
      EXPECT_EQ(v.status, depot ? Status::pass : Status::fail) << gfp << " " << id << ": " << v.message;
    }
  }
}

// An RCU callback that runs in the thread's context frees a slab page under the thread's
// name, at any moment: here long after the work, as the thread exits.
TEST(RecordedReference, PagesTheKernelFreesInTheThreadAreNotItsWork)
{
  Recorded rec("reference");
  for (const char* module : {"page_alloc", "kmem_alloc", "cache_alloc"}) {
    for (auto& run : rec.evidence(module).runs) {
      observe::TraceEvent ev;
      ev.name = "mm_page_free";
      ev.pid = run.threads.front().pid;
      ev.comm = run.threads.front().comm;
      ev.cpu = 0;
      ev.fields = {{"order", "0"}, {"pfn", "0x2200"}, {"page", "fffffa9bc0088000"}};
      observe::Segment segment;
      segment.block.push_back({ev, {}});
      segment.first_ts_ns = segment.last_ts_ns = run.events.segments.back().last_ts_ns + 1'000'000'000;
      run.events.segments.push_back(segment);
    }
  }
  for (const char* id : {"page_alloc.timing", "kmem_alloc.timing", "cache_alloc.timing", "page_alloc.pinned"}) {
    auto v = rec.verdict(id);
    EXPECT_EQ(v.status, Status::pass) << id << ": " << v.message;
  }
}

// A parameter under another name costs at param and param-100: a load whose objnum the
// kernel ignored ran with the module's default, and the work checks leave it out.
TEST(RecordedReference, AnIgnoredParameterCostsOnlyTheParameterChecks)
{
  Recorded rec("reference");
  for (const char* module : {"page_alloc", "kmem_alloc"}) {
    for (auto& run : rec.evidence(module).runs) {
      if (run.request.params != "objnum=100") {
        continue;
      }
      run.log.push_back({4, 1, 0, std::string("lab5_") + module + ": unknown parameter 'objnum' ignored"});
      for (auto& seg : run.events.segments) {
        for (auto& se : seg.block) {
          if (se.event.name == "mm_page_alloc") {
            se.event.fields["order"] = "4"; // what the module computes for its default, 2000
          }
        }
      }
    }
  }
  EXPECT_EQ(rec.verdict("page_alloc.param-100").message,
            "the module has no parameter named objnum: the kernel ignored objnum=100");
  auto order = rec.verdict("page_alloc.order");
  EXPECT_EQ(order.status, Status::pass) << order.message;
  EXPECT_NE(order.message.find("; not graded: the loads with objnum=100, whose objnum the kernel ignored (see "
                               "param-100)"),
            std::string::npos)
    << order.message;
  auto loop = rec.verdict("kmem_alloc.loop");
  EXPECT_EQ(loop.status, Status::pass) << loop.message;
  EXPECT_NE(loop.message.find("not graded: the loads with objnum=100"), std::string::npos) << loop.message;
}

TEST(RecordedUnpinned, ThreadsAreNotPinned)
{
  Recorded rec("unpinned");
  for (const char* id : {"page_alloc.pinned", "kmem_alloc.pinned", "cache_alloc.pinned"}) {
    auto v = rec.verdict(id);
    EXPECT_EQ(v.status, Status::fail) << id;
    EXPECT_NE(v.message.find("the thread is not pinned"), std::string::npos) << v.message;
  }
  EXPECT_EQ(rec.verdict("page_alloc.thread").status, Status::pass);
  EXPECT_EQ(rec.verdict("page_alloc.order").status, Status::pass);
}

// A recording of the reference where each new thread, before the module woke it, ran
// kthread()'s set-up on CPU 1 and took interrupts there (RCU callbacks freeing objects in its
// context), once before kthread_bind() and once while kthread_bind() waited for it to sleep.
// Where those land is scheduling luck; the binding holds from the wake-up on.
TEST(RecordedEarlyEvents, EventsBeforeTheBindingTookEffectDoNotCount)
{
  Recorded rec("early-events");
  for (const char* id : {"page_alloc.pinned", "kmem_alloc.pinned", "cache_alloc.pinned"}) {
    auto v = rec.verdict(id);
    EXPECT_EQ(v.status, Status::pass) << id << ": " << v.message;
    EXPECT_EQ(v.message, "the thread is bound to one CPU; from the moment the binding took effect all its events ran "
                         "on CPU 0")
      << id;
  }
}

namespace {

// The events of the default load's thread, to move them in time or CPU.
std::vector<observe::TraceEvent*> thread_events(observe::ModuleRun& run)
{
  std::vector<observe::TraceEvent*> out;
  for (auto& seg : run.events.segments) {
    for (auto& se : seg.block) {
      if (se.event.pid == run.threads.front().pid && se.event.name != "function") {
        out.push_back(&se.event);
      }
    }
  }
  return out;
}

observe::ModuleRun& default_run(Recorded& rec, const std::string& module)
{
  for (auto& run : rec.evidence(module).runs) {
    if (run.request.params.empty()) {
      return run;
    }
  }
  throw std::runtime_error("no default load of " + module);
}

} // namespace

TEST(RecordedEarlyEvents, AThreadThatRunsOnTwoCpusOnceBoundFails)
{
  Recorded rec("early-events");
  auto events = thread_events(default_run(rec, "page_alloc"));
  ASSERT_FALSE(events.empty());
  events.back()->cpu = 1; // its last event, long after the wake-up
  auto v = rec.verdict("page_alloc.pinned");
  EXPECT_EQ(v.status, Status::fail);
  EXPECT_EQ(v.message, "a binding call was seen, but after it took effect the thread still ran on CPUs 0, 1");
}

TEST(RecordedEarlyEvents, ABindingAfterTheWakeUpFails)
{
  Recorded rec("early-events");
  auto& run = default_run(rec, "kmem_alloc");
  // Single events of the loader: the wake-up of the thread and the binding call.
  const observe::Segment* waking = nullptr;
  observe::Segment* bind = nullptr;
  for (auto& seg : run.events.segments) {
    const auto& ev = seg.block.front().event;
    if (ev.name == "sched_waking" && ev.pid == run.loader_pid) {
      waking = &seg;
    } else if (ev.name == "function" && ev.pid == run.loader_pid) {
      bind = &seg;
    }
  }
  ASSERT_TRUE(waking && bind);
  bind->block.front().event.fields["func"] = "set_cpus_allowed_ptr"; // no WARNING: the kernel moves a running thread
  bind->first_ts_ns = bind->last_ts_ns = waking->first_ts_ns + 1000;
  auto v = rec.verdict("kmem_alloc.pinned");
  EXPECT_EQ(v.status, Status::fail);
  EXPECT_EQ(v.message, "the thread was bound (set_cpus_allowed_ptr from kmem_alloc_init) only after wake_up_process() "
                       "had started it, so until then it ran on any CPU. Bind between kthread_create() and "
                       "wake_up_process(), or use kthread_create_on_cpu()");
}

// One mistake costs once: where the module prints is thread's to judge, whether the value
// arrived is the parameter checks'.
TEST(RecordedReference, ObjnumPrintedFromInitCostsOnlyThread)
{
  Recorded rec("reference");
  for (auto& run : rec.evidence("page_alloc").runs) {
    for (auto& seg : run.events.segments) {
      for (auto& se : seg.block) {
        if (se.event.name == "console" && se.event.text.find("objnum") != std::string::npos) {
          se.event.pid = run.loader_pid;
          se.event.comm = "kmg-insmod";
        }
      }
    }
  }
  for (const char* id : {"page_alloc.default", "page_alloc.param-100"}) {
    auto v = rec.verdict(id);
    EXPECT_EQ(v.status, Status::pass) << id << ": " << v.message;
    EXPECT_NE(v.message.find("(from its init function, see thread)"), std::string::npos) << v.message;
  }
  EXPECT_EQ(rec.verdict("page_alloc.struct-size").status, Status::pass);
  auto thread = rec.verdict("page_alloc.thread");
  EXPECT_EQ(thread.status, Status::fail);
  EXPECT_EQ(thread.message, "objnum 2000 is printed by the init function (insmod's context), not by the module's "
                            "thread page_alloc: print from the thread");
}

TEST(RecordedReference, NoThreadCostsThreadAndPinnedAndHidesTheThreadsWork)
{
  Recorded rec("reference");
  for (auto& run : rec.evidence("kmem_alloc").runs) {
    const int thread = run.threads.front().pid;
    run.threads.clear();
    for (auto& seg : run.events.segments) {
      for (auto& se : seg.block) {
        if (se.event.pid == thread) {
          se.event.pid = run.loader_pid;
          se.event.comm = "kmg-insmod";
        }
      }
    }
  }
  EXPECT_EQ(rec.verdict("kmem_alloc.thread").message,
            "the module started no kernel thread: create one with kthread_create() in the init function, and print "
            "and do the work there");
  EXPECT_EQ(rec.verdict("kmem_alloc.pinned").message, "no kernel thread was created, so none is pinned");
  for (const char* id : {"kmem_alloc.default", "kmem_alloc.param-100", "kmem_alloc.struct-size", "kmem_alloc.approach",
                         "kmem_alloc.clean-unload"}) {
    EXPECT_EQ(rec.verdict(id).status, Status::pass) << id << ": " << rec.verdict(id).message;
  }
  for (const char* id : {"kmem_alloc.loop", "kmem_alloc.timing"}) {
    auto v = rec.verdict(id);
    EXPECT_EQ(v.status, Status::not_run) << id;
    EXPECT_EQ(v.message, "not run: with no parameter the module started no kernel thread, whose work this check "
                         "watches (see thread)")
      << id;
  }
}

TEST(RecordedWrongOrder, HardCodedOrderIsCaughtOnUnnamedValues)
{
  Recorded rec("wrong-order");
  auto v = rec.verdict("page_alloc.order");
  EXPECT_EQ(v.status, Status::fail);
  EXPECT_NE(v.message.find("objnum 100: alloc_pages order 3, expected 0"), std::string::npos) << v.message;
  EXPECT_EQ(rec.verdict("page_alloc.free").status, Status::pass);
}

TEST(RecordedMissingFree, LeaksAreNamed)
{
  Recorded rec("missing-free");
  auto free = rec.verdict("page_alloc.free");
  EXPECT_EQ(free.status, Status::fail);
  EXPECT_NE(free.message.find("never freed"), std::string::npos) << free.message;
  EXPECT_EQ(rec.verdict("page_alloc.no-leak").status, Status::fail);
  auto loop = rec.verdict("kmem_alloc.loop");
  EXPECT_EQ(loop.status, Status::fail);
  EXPECT_EQ(rec.verdict("cache_alloc.loop").status, Status::pass);
}

TEST(RecordedNoDestroy, CacheLeftAfterRmmod)
{
  Recorded rec("no-destroy");
  auto v = rec.verdict("cache_alloc.cache-destroy");
  EXPECT_EQ(v.status, Status::fail);
  EXPECT_NE(v.message.find("still in /sys/kernel/slab after rmmod"), std::string::npos) << v.message;
  EXPECT_EQ(rec.verdict("cache_alloc.cache-create").status, Status::pass);
}

// A path the lab says the module removes at unload, still there after rmmod in one load.
TEST(RecordedReference, APathLeftBehindAfterRmmodFailsCleanUnloadNamingIt)
{
  Recorded rec("reference");
  auto& runs = rec.evidence("kmem_alloc").runs;
  ASSERT_GE(runs.size(), 2u);
  runs[1].left_behind = {"/proc/kmem_stats", "/proc/kmem_stats_dir"};
  auto v = rec.verdict("kmem_alloc.clean-unload");
  EXPECT_EQ(v.status, Status::fail);
  EXPECT_EQ(v.message.rfind("/proc/kmem_stats is still there after rmmod (objnum=", 0), 0u) << v.message;
  EXPECT_NE(v.message.find("): remove it in the exit function (proc_remove() or remove_proc_subtree()); the next "
                           "insmod fails while it is there, and opening it runs code that is gone"),
            std::string::npos)
    << v.message;
  EXPECT_EQ(v.evidence, (std::vector<std::string>{"/proc/kmem_stats was still there after rmmod",
                                                  "/proc/kmem_stats_dir was still there after rmmod"}));
  EXPECT_EQ(rec.verdict("page_alloc.clean-unload").status, Status::pass);
}

TEST(Checks, MissingFileAndFailedBuildGateEveryCheck)
{
  evaluate::ModuleEvidence e;
  e.module_id = "page_alloc";
  e.file = "page_alloc.c";
  const auto lab = score::load_rubric(KMGRADE_RUBRIC);
  auto check = [&](const std::string& id) { return pipeline::run_check(lab, e, 4096, "page_alloc." + id); };
  EXPECT_EQ(check("build").status, Status::fail);
  auto order = check("order");
  EXPECT_EQ(order.status, Status::not_run);
  EXPECT_EQ(order.message, "not run: page_alloc.c is missing");

  e.found_at = "page_alloc.c";
  build::ModuleBuild b;
  b.log = "ERROR: modpost: missing MODULE_LICENSE() in /tmp/x/lab5_page_alloc.o";
  e.build = b;
  EXPECT_EQ(check("license").status, Status::fail);
  auto pinned = check("pinned");
  EXPECT_EQ(pinned.status, Status::not_run);
  EXPECT_EQ(pinned.message, "not run: page_alloc.c did not compile");
}

TEST(Checks, AProcFileOnTheOldFileOperationsSkeletonFailsBuildNamingProcOps)
{
  evaluate::ModuleEvidence e;
  e.module_id = "list";
  e.file = "list.c";
  e.found_at = "list.c";
  build::ModuleBuild b;
  b.log = "list.c:161:53: error: passing argument 4 of 'proc_create' from incompatible pointer type "
          "[-Werror=incompatible-pointer-types]\n"
          "include/linux/proc_fs.h:114:122: note: expected 'const struct proc_ops *' but argument is of type "
          "'const struct file_operations *'\n";
  e.build = b;
  const auto lab = score::load_rubric(KMGRADE_LABS "/so2-list.json");
  const auto v = pipeline::run_check(lab, e, 4096, "list.build");
  EXPECT_EQ(v.status, Status::fail);
  EXPECT_NE(v.message.find("gives proc_create a struct file_operations, which Linux 5.6 replaced for /proc files "
                           "with struct proc_ops"),
            std::string::npos)
    << v.message;
  EXPECT_EQ(pipeline::run_check(lab, e, 4096, "list.add-one").status, Status::not_run);
}

TEST(Checks, AnRmmodThatNeverReturnedIsAnErrorWithTheKernelsLines)
{
  evaluate::ModuleEvidence e;
  e.module_id = "cache_alloc";
  e.file = "cache_alloc.c";
  e.found_at = "cache_alloc.c";
  build::ModuleBuild b;
  b.ok = true;
  e.build = b;
  e.planned_params = {""};
  observe::ModuleRun run;
  run.request.module_name = "lab5_cache_alloc";
  run.request.call_timeout_ms = 20000;
  run.insmod = {true, true, 0, "", 1000, false};
  run.rmmod = {true, false, 0, "did not return", 20000000000ULL, true};
  run.unloader_pid = 90;
  run.log.push_back({3, 1, 0, "INFO: task kmg-rmmod:90 blocked for more than 10 seconds."});
  e.runs.push_back(run);
  const auto lab = score::load_rubric(KMGRADE_RUBRIC);
  for (const char* check : {"clean-unload", "loop", "default"}) {
    auto v = pipeline::run_check(lab, e, 4096, std::string("cache_alloc.") + check);
    EXPECT_EQ(v.status, Status::error) << check;
    EXPECT_EQ(v.message, "rmmod lab5_cache_alloc after the load with no parameter never returned (still "
                         "running after 20 s): the exit function blocks, often in kthread_stop() on a thread that "
                         "never checks kthread_should_stop()")
      << check;
    EXPECT_EQ(v.evidence, std::vector<std::string>{"INFO: task kmg-rmmod:90 blocked for more than 10 seconds."})
      << check;
  }
}

TEST(Checks, ExpectedOrderMatchesTheLab)
{
  EXPECT_EQ(labs::lab5::expected_order(1, 4096, 32), 0u);
  EXPECT_EQ(labs::lab5::expected_order(128, 4096, 32), 0u);
  EXPECT_EQ(labs::lab5::expected_order(129, 4096, 32), 1u);
  EXPECT_EQ(labs::lab5::expected_order(257, 4096, 32), 2u);
  EXPECT_EQ(labs::lab5::expected_order(1000, 4096, 32), 3u);
  EXPECT_EQ(labs::lab5::expected_order(2000, 4096, 32), 4u);
  EXPECT_EQ(labs::lab5::expected_order(4000, 4096, 32), 5u);
  EXPECT_EQ(labs::lab5::expected_order(100000, 4096, 32), 10u);
  EXPECT_EQ(labs::lab5::expected_order(1000, 16384, 32), 1u);
}

TEST(Checks, KernelTroubleIsTheModulesOnlyWhenItNamesTheModule)
{
  observe::ModuleRun run;
  run.request.module_name = "lab5_cache_alloc";
  run.request.params = "";
  run.loader_pid = 1;
  run.threads = {{99, "cache_thread", "", true}};
  for (const char* line :
       {"BUG: kernel NULL pointer dereference, address: 000000000000001c", "#PF: supervisor read access in kernel mode",
        "Oops: 0000 [#1] PREEMPT SMP NOPTI", "CPU: 0 PID: 99 Comm: cache_thread Tainted: G OE 6.1.0-56-amd64 #1",
        " worker+0x2c/0x90 [lab5_cache_alloc]", "---[ end trace 0000000000000000 ]---",
        "rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:",
        "rcu: 1-...!: (0 ticks this GP) idle=5c4/0/0x0 softirq=1/1 fqs=0"}) {
    run.log.push_back({4, 0, 0, line});
  }
  const auto lab = score::load_rubric(KMGRADE_RUBRIC);
  evaluate::RunView view(run, pipeline::lab_facts(lab, *lab.module("cache_alloc"), 4096));
  auto troubles = view.troubles();
  ASSERT_EQ(troubles.size(), 2u);
  EXPECT_TRUE(troubles[0].from_module);
  EXPECT_EQ(troubles[0].lines.size(), 6u);
  EXPECT_FALSE(troubles[1].from_module);
  EXPECT_EQ(view.trouble_lines(),
            std::vector<std::string>{"BUG: kernel NULL pointer dereference, address: 000000000000001c"});
}

TEST(Channel, LinesInTheAgentsNameThatAreNotItsAnswersAreSkipped)
{
  const std::string agent = "KMG 0f0f ";
  const std::string text = agent + "hello {\"kernel\":\"6.1.0-56-amd64\"}\n" + agent + "run {\"request\":7}\n" + agent +
                           "run [1,2]\n" + agent + "hello 42\n" + agent + "done {}\n";
  bool completed = false;
  const auto report = run::parse_channel(text, "0f0f", completed);
  EXPECT_TRUE(completed);
  EXPECT_TRUE(report.runs.empty());
}

// A kernel that fails after the agent said hello but before it set up tracing has loaded no
// module: the boot, not a load, failed.
TEST(Channel, TheAgentIsReadyOnlyOnceItSaysSo)
{
  const std::string agent = "KMG 0f0f ";
  const std::string hello = agent + "hello {\"kernel\":\"6.1.0-57-amd64\",\"cpus\":2,\"page_size\":4096,"
                                    "\"clocksource\":\"tsc\",\"uptime\":\"2.38 1.37\"}\n";
  bool completed = false;
  const auto before = run::parse_channel(hello + agent + "note {\"text\":\"cannot trace\"}\n", "0f0f", completed);
  EXPECT_EQ(before.kernel, "6.1.0-57-amd64");
  EXPECT_FALSE(before.ready);
  EXPECT_TRUE(run::parse_channel(hello + agent + "ready {}\n", "0f0f", completed).ready);
  EXPECT_FALSE(run::parse_channel(hello + "KMG beef ready {}\n", "0f0f", completed).ready);
}

TEST(Channel, ARunWithANumberNoIntegerFieldCanHoldIsSkipped)
{
  auto run = observe::to_json(observe::ModuleRun{});
  const std::string agent = "KMG 0f0f run ";
  bool completed = false;
  EXPECT_EQ(run::parse_channel(agent + run.dump() + "\n", "0f0f", completed).runs.size(), 1u);
  for (const char* too_large : {"18674400000000000000", "1e300", "-1.5"}) {
    run["core_base"] = nlohmann::json::parse(too_large);
    EXPECT_TRUE(run::parse_channel(agent + run.dump() + "\n", "0f0f", completed).runs.empty()) << too_large;
  }
}

TEST(Channel, ResultsPairWithTheirLoadsByIdNotByPosition)
{
  auto load = [](const std::string& id) {
    observe::LoadRequest r;
    r.id = id;
    return r;
  };
  auto result = [](const std::string& id, std::uint64_t settle_ns) {
    observe::ModuleRun r;
    r.request.id = id;
    r.settle_ns = settle_ns;
    return r;
  };
  std::deque<observe::LoadRequest> pending = {load("a"), load("b"), load("c")};
  // b's answer before a's, one for a load the plan does not have, a second one for b.
  const auto claimed = run::claim_results(pending, {result("b", 1), result("x", 2), result("a", 3), result("b", 4)});
  ASSERT_EQ(claimed.size(), 2u);
  EXPECT_EQ(claimed[0].first.id, "b");
  EXPECT_EQ(claimed[0].second.settle_ns, 1u);
  EXPECT_EQ(claimed[1].first.id, "a");
  EXPECT_EQ(claimed[1].second.settle_ns, 3u);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending.front().id, "c");
}
