#include "agent/event_filter.h"

#include "agent_test_support.h"

#include <gtest/gtest.h>

using namespace kmgrade::agent;
using kmgrade::observe::refers_to_module;
using kmgrade::observe::TaskInfo;
using kmgrade::observe::TraceEvent;

namespace {

// Pages a thread allocates name no caller; kmalloc's do.
const std::vector<kmgrade::observe::AllocationEvents> k_allocations = {{"mm_page_alloc", "mm_page_free", "pfn", true},
                                                                       {"kmalloc", "kfree", "ptr", false}};

std::vector<std::string> texts(const std::vector<TraceEvent>& events)
{
  return each(events, [](const TraceEvent& ev) { return ev.name + ":" + ev.text; });
}

} // namespace

TEST(EventFilter, AnEventRefersToTheModuleByNameOrByAnAddressInItsCode)
{
  const ModuleRange range{0xffffffffc0a00000ULL, 0x1000};
  EXPECT_TRUE(refers_to_module(trace_event(5, "kmalloc", {{"call_site", "fn+0x54/0xaf [lab5_kmem_alloc]"}}),
                               "lab5_kmem_alloc", range));
  EXPECT_FALSE(refers_to_module(trace_event(5, "kmalloc", {{"call_site", "fn+0x54/0xaf [lab5_kmem_alloc_x]"}}),
                                "lab5_kmem_alloc", range));
  EXPECT_TRUE(refers_to_module(trace_event(5, "kfree", {{"call_site", "0xffffffffc0a00000"}}), "m", range));
  EXPECT_TRUE(refers_to_module(trace_event(5, "kfree", {{"call_site", "0xffffffffc0a00fff"}}), "m", range));
  EXPECT_FALSE(refers_to_module(trace_event(5, "kfree", {{"call_site", "0xffffffffc0a01000"}}), "m", range));
  EXPECT_FALSE(refers_to_module(trace_event(5, "kfree", {{"call_site", "0xffffffffc09fffff"}}), "m", range));
  EXPECT_FALSE(refers_to_module(trace_event(5, "kfree", {{"call_site", "ffffffffc0a00010"}}), "m", range))
    << "an address is read only with its 0x";
  EXPECT_FALSE(refers_to_module(trace_event(5, "kfree", {{"call_site", "0xffffffffc0a00010"}}), "m", ModuleRange{}))
    << "no range, no address matches";
}

TEST(EventFilter, KeepsTheModulesThreadsWakeUpsConsoleFunctionsAndItsCallSites)
{
  std::map<int, TaskInfo> threads;
  threads[101] = TaskInfo{101, "lab5_thread", "0", false};
  std::vector<TraceEvent> events = {
    trace_event(101, "mm_page_alloc", {{"order", "4"}}),
    trace_event(7, "mm_page_alloc", {{"order", "0"}}),
    trace_event(7, "sched_waking", {{"comm", "lab5_thread"}, {"pid", "101"}}),
    trace_event(7, "sched_waking", {{"comm", "other"}, {"pid", "102"}}),
    trace_event(7, "sched_waking", {{"comm", "forged"}, {"pid", "101x"}}),
    trace_event(7, "console"),
    trace_event(7, "function", {{"func", "kthread_bind"}}),
    trace_event(7, "kmalloc", {{"call_site", "fn+0x1/0x2 [lab5_kmem_alloc]"}}),
    trace_event(7, "kfree", {{"call_site", "0xffffffffc0a00010"}}),
    trace_event(7, "kfree", {{"call_site", "other_fn+0x1/0x2"}}),
  };
  for (std::size_t i = 0; i < events.size(); ++i) {
    events[i].text = std::to_string(i);
  }
  const auto kept =
    module_events(events, threads, "lab5_kmem_alloc", ModuleRange{0xffffffffc0a00000ULL, 0x100}, k_allocations);
  EXPECT_EQ(texts(kept), (std::vector<std::string>{"mm_page_alloc:0", "sched_waking:2", "console:5", "function:6",
                                                   "kmalloc:7", "kfree:8"}));
}

TEST(EventFilter, PagesTheThreadAllocatedAreKeptWhenTheExitFunctionFreesThem)
{
  std::map<int, TaskInfo> threads;
  threads[101] = TaskInfo{101, "pa_spin", "0", false};
  std::vector<TraceEvent> events = {
    trace_event(7, "mm_page_free", {{"pfn", "0xae00"}, {"order", "4"}}),
    trace_event(101, "mm_page_alloc", {{"pfn", "0xae00"}, {"order", "4"}}),
    trace_event(7, "mm_page_alloc", {{"pfn", "0x5000"}, {"order", "0"}}),
    trace_event(9, "mm_page_free", {{"pfn", "0x5000"}, {"order", "0"}}),
    trace_event(9, "mm_page_free", {{"pfn", "0xae00"}, {"order", "4"}}),
    trace_event(9, "mm_page_free", {{"pfn", "0xae00"}, {"order", "4"}}),
  };
  for (std::size_t i = 0; i < events.size(); ++i) {
    events[i].text = std::to_string(i);
  }
  const auto kept =
    module_events(events, threads, "lab5_page_alloc", ModuleRange{0xffffffffc0a00000ULL, 0x100}, k_allocations);
  EXPECT_EQ(texts(kept), (std::vector<std::string>{"mm_page_alloc:1", "mm_page_free:4"}))
    << "a free before the allocation, of another task's page, or a second free of the same page is not the module's";
}

TEST(EventFilter, AFreeOfWhatTheModulesCodeAllocatedIsKeptWhateverItsCallSite)
{
  std::map<int, TaskInfo> threads;
  std::vector<TraceEvent> events = {
    trace_event(9, "kmalloc", {{"call_site", "msg_write+0x2f/0xc0 [kmlab_hello]"}, {"ptr", "ffff888004af7388"}}),
    trace_event(9, "kmalloc", {{"call_site", "other_fn+0x1/0x2"}, {"ptr", "ffff888004af7400"}}),
    trace_event(11, "kfree", {{"call_site", "__do_sys_delete_module+0x1b9/0x330"}, {"ptr", "ffff888004af7400"}}),
    trace_event(11, "kfree", {{"call_site", "__do_sys_delete_module+0x1b9/0x330"}, {"ptr", "ffff888004af7388"}}),
  };
  for (std::size_t i = 0; i < events.size(); ++i) {
    events[i].text = std::to_string(i);
  }
  const auto kept =
    module_events(events, threads, "kmlab_hello", ModuleRange{0xffffffffc0a00000ULL, 0x100}, k_allocations);
  EXPECT_EQ(texts(kept), (std::vector<std::string>{"kmalloc:0", "kfree:3"}))
    << "an exit function's kfree as a tail call names the caller of the exit function";
}

TEST(EventFilter, AModuleCallIsKeptWhenTheModulesCodeMadeIt)
{
  const ModuleRange range{0xffffffffc0203000ULL, 0x4000};
  const int loader = 110;
  std::vector<TraceEvent> events = {
    // Its init function's, freed once it returned: no name is left for the caller.
    trace_event(loader, "module_call", {{"func", "proc_create"}, {"parent", "0xffffffffc0209012"}}),
    trace_event(132, "module_call", {{"func", "mutex_lock"}, {"parent", "msg_write+0x63/0xc0 [kmlab_hello]"}}),
    trace_event(132, "module_call", {{"func", "mutex_unlock"}, {"parent", "msg_write+0x89/0xc0 [kmlab_hello]"}}),
    // Another module's, in a task of its own and in the task that loaded this one.
    trace_event(77, "module_call", {{"func", "mutex_lock"}, {"parent", "other_fn+0x1/0x2 [other]"}}),
    trace_event(loader, "module_call", {{"func", "mutex_lock"}, {"parent", "notifier+0x1/0x2 [other]"}}),
    // Read after rmmod: the exit function's call, by address.
    trace_event(111, "module_call", {{"func", "proc_remove"}, {"parent", "0xffffffffc0203109"}}),
    // Code with no name that is not this module's, in another task.
    trace_event(77, "module_call", {{"func", "mutex_lock"}, {"parent", "0xffffffffc0400000"}}),
    trace_event(9, "kmalloc", {{"call_site", "other_fn+0x1/0x2"}}),
  };
  for (std::size_t i = 0; i < events.size(); ++i) {
    events[i].text = std::to_string(i);
  }
  keep_calls_from_module(events, "kmlab_hello", range, loader);
  EXPECT_EQ(texts(events),
            (std::vector<std::string>{"module_call:0", "module_call:1", "module_call:2", "module_call:5", "kmalloc:7"}))
    << "only module calls are dropped";
  keep_calls_from_module(events, "kmlab_hello", range, 0);
  EXPECT_EQ(events.size(), 4u) << "without a task that ran insmod, no unnamed caller is the init function";

  const auto kept = module_events(events, {}, "kmlab_hello", range, k_allocations);
  EXPECT_EQ(texts(kept), (std::vector<std::string>{"module_call:1", "module_call:2", "module_call:5"}));
}

TEST(EventFilter, ConsoleEventsAreCappedToTheirHeadAndTailOthersAreKept)
{
  std::vector<TraceEvent> events;
  for (int i = 0; i < 10; ++i) {
    events.push_back(trace_event(7, "console"));
    events.back().text = std::to_string(i);
    events.push_back(trace_event(101, "kmalloc"));
    events.back().text = std::to_string(i);
  }
  auto capped = events;
  cap_console_events(capped, 4);
  std::vector<std::string> expected;
  for (int i = 0; i < 10; ++i) {
    if (i < 2 || i >= 8) {
      expected.push_back("console:" + std::to_string(i));
    }
    expected.push_back("kmalloc:" + std::to_string(i));
  }
  EXPECT_EQ(texts(capped), expected);

  auto under_the_cap = events;
  cap_console_events(under_the_cap, 10);
  EXPECT_EQ(texts(under_the_cap), texts(events));
}
