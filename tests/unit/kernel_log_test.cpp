#include "observe/kernel_log.h"
#include "observe/observation.h"

#include <gtest/gtest.h>

using namespace kmgrade::observe;

TEST(KernelLog, ParsesKmsgRecord)
{
  auto rec = parse_kmsg_record("6,372,3676011,-;objnum 2000\n SUBSYSTEM=x");
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->level, 6);
  EXPECT_EQ(rec->seq, 372u);
  EXPECT_EQ(rec->ts_us, 3676011u);
  EXPECT_EQ(rec->text, "objnum 2000");
}

TEST(KernelLog, FacilityBitsAreNotTheLevel)
{
  auto rec = parse_kmsg_record("12,5,100,-;user message");
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->level, 4);
}

TEST(KernelLog, RejectsMalformedHeaders)
{
  EXPECT_FALSE(parse_kmsg_record("no header"));
  EXPECT_FALSE(parse_kmsg_record("6,x,1,-;text"));
  EXPECT_FALSE(parse_kmsg_record("6,1;text"));
}

TEST(KernelLog, ClassifiesTrouble)
{
  EXPECT_EQ(classify_log_line("BUG: kernel NULL pointer dereference, address: 0000000000000000"), KernelTrouble::oops);
  EXPECT_EQ(classify_log_line("Oops: 0002 [#1] PREEMPT SMP NOPTI"), KernelTrouble::oops);
  EXPECT_EQ(classify_log_line("general protection fault, probably for non-canonical address"), KernelTrouble::oops);
  EXPECT_EQ(classify_log_line("WARNING: CPU: 0 PID: 1 at kernel/kthread.c:525 __kthread_bind_mask+0x20/0x60"),
            KernelTrouble::warning);
  EXPECT_EQ(classify_log_line("watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [lab5:99]"),
            KernelTrouble::soft_lockup);
  EXPECT_EQ(classify_log_line("INFO: task rmmod:1 blocked for more than 120 seconds."), KernelTrouble::hung_task);
  EXPECT_EQ(classify_log_line("rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:"), KernelTrouble::rcu_stall);
  EXPECT_EQ(classify_log_line("kmem_cache_destroy lab5_cache: Slab cache still has objects when called from "
                              "cache_exit+0x10/0x20"),
            KernelTrouble::slab_leak);
  EXPECT_EQ(classify_log_line("BUG kmalloc-32 (Tainted: G OE): Object already free"), KernelTrouble::bug);
  EXPECT_EQ(classify_log_line("page_alloc: objnum = 2000"), KernelTrouble::none);
  EXPECT_EQ(classify_log_line("lab5: loading out-of-tree module taints kernel."), KernelTrouble::none);
}

TEST(KernelLog, AStallCountsAgainstTheModuleOnlyWhenItNamesOneOfItsTasks)
{
  kmgrade::observe::ModuleRun run;
  run.threads.push_back({125, "page_alloc/0", "0", false});
  run.loader_pid = 152;
  auto with = [&](const std::string& line) {
    run.log = {{4, 1, 0, line}};
    return kmgrade::observe::module_stall(run);
  };
  EXPECT_EQ(with("watchdog: BUG: soft lockup - CPU#0 stuck for 13s! [page_alloc/0:125]"),
            "watchdog: BUG: soft lockup - CPU#0 stuck for 13s! [page_alloc/0:125]");
  EXPECT_EQ(with("INFO: task kmg-insmod:152 blocked for more than 10 seconds."),
            "INFO: task kmg-insmod:152 blocked for more than 10 seconds.");
  EXPECT_EQ(with("INFO: task khugepaged:36 blocked for more than 10 seconds."), "");
  EXPECT_EQ(with("watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [page_alloc/0:1250]"), "");
  EXPECT_EQ(with("BUG kmalloc-32 (Tainted: G OE): Object already free"), "");
}

TEST(KernelLog, AnRcuStallIsTheModulesWhenItsReportNamesTheModule)
{
  kmgrade::observe::ModuleRun run;
  run.request.module_name = "lab5_page_alloc";
  run.threads.push_back({125, "page_alloc/0", "0", false});
  const std::vector<std::string> stall = {"rcu: INFO: rcu_sched self-detected stall on CPU",
                                          "rcu: \t0-....: (5250 ticks this GP) idle=0b4/1/0x4000000000000000",
                                          "\t(t=5251 jiffies g=2397 q=51 ncpus=2)"};
  auto with = [&](const std::string& task_line) {
    run.log.clear();
    for (const auto& line : stall) {
      run.log.push_back({4, 1, 0, line});
    }
    run.log.push_back({4, 2, 0, task_line});
    return kmgrade::observe::module_stall(run);
  };
  // The stall's own line names no task: the CPU and call trace lines after it do.
  EXPECT_EQ(with("CPU: 0 PID: 125 Comm: page_alloc/0 Tainted: G OE 6.1.0-56-amd64 #1"), stall.front());
  EXPECT_EQ(with(" spin+0x12/0x30 [lab5_page_alloc]"), stall.front());
  EXPECT_EQ(with("CPU: 1 PID: 36 Comm: khugepaged Not tainted 6.1.0-56-amd64 #1"), "");
}
