// so2-list's own check, locking, fed with a load as the sandbox gives it: the steps, the
// process that ran each, and the module's allocations and lock calls in trace order.

#include "evaluate/registry.h"
#include "labs/lab_checks.h"
#include "observe/event_stream.h"

#include <gtest/gtest.h>

#include <optional>

using namespace kmgrade;
using evaluate::Status;
using observe::StepKind;

namespace {

observe::TraceEvent event(const std::string& name, int pid, std::map<std::string, std::string> fields)
{
  observe::TraceEvent ev;
  ev.name = name;
  ev.pid = pid;
  ev.comm = "kmg-step";
  ev.fields = std::move(fields);
  return ev;
}

observe::TraceEvent call(const std::string& func, int pid)
{
  return event("module_call", pid, {{"func", func}, {"parent", "list_write+0x40/0x180 [list]"}});
}

// The load addf-lorem: "addf lorem\n" by pid 300 (the handler copies the command into a
// buffer it frees, and keeps a node), a read of the preview by 301, and "hello\n" by 302,
// which the module copies and refuses. `locked` says which of the three take a spinlock, and
// `released` which release it (by default, those that took it).
observe::ModuleRun addf_lorem(const std::set<int>& locked, std::optional<std::set<int>> released = std::nullopt)
{
  observe::ModuleRun run;
  run.request.id = "student/list/@addf-lorem";
  run.request.name = "addf-lorem";
  run.request.module_name = "list";
  run.request.steps = {{StepKind::write, "/proc/list/management", "addf lorem\n", 4096, 2000},
                       {StepKind::read, "/proc/list/preview", "", 4096, 2000},
                       {StepKind::write, "/proc/list/management", "hello\n", 4096, 2000}};
  run.insmod.attempted = run.insmod.ok = true;
  run.rmmod.attempted = run.rmmod.ok = true;
  run.settled = true;
  const std::vector<std::pair<long long, std::string>> gave = {{11, ""}, {6, "lorem\n"}, {6, ""}};
  for (std::size_t i = 0; i < 3; ++i) {
    observe::UserStepResult r;
    r.kind = run.request.steps[i].kind;
    r.path = run.request.steps[i].path;
    r.result = gave[i].first;
    r.data = gave[i].second;
    r.pid = 300 + static_cast<int>(i);
    run.steps.push_back(r);
  }
  std::vector<observe::TraceEvent> events;
  const auto kmalloc = [&](int pid, const std::string& ptr) {
    events.push_back(event("kmalloc", pid, {{"ptr", ptr}, {"call_site", "list_write+0x20/0x180 [list]"}}));
  };
  const auto kfree = [&](int pid, const std::string& ptr) {
    events.push_back(event("kfree", pid, {{"ptr", ptr}, {"call_site", "list_write+0x90/0x180 [list]"}}));
  };
  const auto lock = [&](int pid) {
    if (locked.count(pid)) {
      events.push_back(call("_raw_spin_lock", pid));
    }
  };
  const auto unlock = [&](int pid) {
    if (released.value_or(locked).count(pid)) {
      events.push_back(call("_raw_spin_unlock", pid));
    }
  };
  kmalloc(300, "ffff888004a1b000");
  kmalloc(300, "ffff888004a1c000");
  lock(300);
  unlock(300);
  kfree(300, "ffff888004a1b000");
  lock(301);
  unlock(301);
  kmalloc(302, "ffff888004a1d000");
  kfree(302, "ffff888004a1d000");
  run.events = observe::reduce_events(events, 1000);
  return run;
}

evaluate::Verdict locking(const observe::ModuleRun& run)
{
  evaluate::ModuleEvidence e;
  e.module_id = "list";
  e.file = "list.c";
  e.module_name = "list";
  e.found_at = "list.c";
  e.runs = {run};
  const auto check = evaluate::find_check(labs::own_checks("so2-list"), "list", "locking");
  return check(e, {});
}

} // namespace

TEST(So2ListLocking, EveryHandlerThatChangesOrWalksTheListLocksAndOneThatChangesNothingNeedNot)
{
  const auto v = locking(addf_lorem({300, 301}));
  EXPECT_EQ(v.status, Status::pass) << v.message;
  EXPECT_EQ(v.message.rfind("all 2 handler(s) that changed or walked the list took a lock and released it "
                            "(_raw_spin_lock); where the list_add and list_del fall",
                            0),
            0u)
    << v.message;
}

TEST(So2ListLocking, AHandlerWithNoLockFailsNamingItsStep)
{
  const auto v = locking(addf_lorem({300}));
  EXPECT_EQ(v.status, Status::fail);
  EXPECT_EQ(v.message.rfind("1 of 2 handler(s) that changed or walked the list took no lock: step 2 of load "
                            "addf-lorem (read /proc/list/preview) took no lock. Take a spinlock",
                            0),
            0u)
    << v.message;
}

TEST(So2ListLocking, ALockTakenAndNeverReleasedDoesNotCount)
{
  const auto run = addf_lorem({300, 301}, std::set<int>{301});
  const auto v = locking(run);
  EXPECT_EQ(v.status, Status::fail);
  EXPECT_NE(v.message.find("step 1 of load addf-lorem (write \"addf lorem\\n\") took no lock"), std::string::npos)
    << v.message;
}

TEST(So2ListLocking, LockFunctionsTheSandboxCouldNotTraceAreAnErrorNotAFail)
{
  auto run = addf_lorem({});
  run.untraceable = {{"_raw_spin_lock", "this kernel has no kprobe events (CONFIG_KPROBE_EVENTS)"}};
  const auto v = locking(run);
  EXPECT_EQ(v.status, Status::error);
  EXPECT_EQ(v.message, "the sandbox could not trace the lock functions, so locking cannot be observed: "
                       "_raw_spin_lock: this kernel has no kprobe events (CONFIG_KPROBE_EVENTS)");
}

TEST(So2ListLocking, WithNoHandlerSeenAtWorkItIsNotRun)
{
  auto run = addf_lorem({300, 301});
  run.steps[0].timed_out = true;
  run.steps[1].result = 0;
  run.steps[1].data.clear();
  const auto v = locking(run);
  EXPECT_EQ(v.status, Status::not_run) << v.message;
}
