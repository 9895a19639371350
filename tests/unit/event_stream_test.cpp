#include "observe/event_stream.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

using namespace kmgrade::observe;

namespace {

TraceEvent event(const std::string& name, const std::string& ptr, std::uint64_t ts, int pid = 50)
{
  TraceEvent ev;
  ev.comm = "lab5";
  ev.pid = pid;
  ev.cpu = 1;
  ev.ts_ns = ts;
  ev.name = name;
  ev.fields = {{"ptr", ptr}, {"call_site", "fn+0x1/0x2 [lab5]"}};
  return ev;
}

std::size_t expanded_size(const EventStream& s)
{
  std::size_t n = 0;
  for (const auto& seg : s.segments) {
    n += seg.repeat * seg.block.size();
  }
  return n;
}

} // namespace

TEST(EventStream, AllocFreeLoopReducesToARepeatedBlock)
{
  std::vector<TraceEvent> events;
  for (int i = 0; i < 1000; ++i) {
    events.push_back(event("kmalloc", "p", 1000 + 2 * i));
    events.push_back(event("kfree", "p", 1001 + 2 * i));
  }
  auto s = reduce_events(events, 100);
  EXPECT_LE(s.segments.size(), 3u);
  EXPECT_EQ(expanded_size(s), 2000u);
  EXPECT_EQ(s.counts["kmalloc"], 1000u);
  EXPECT_EQ(s.counts["kfree"], 1000u);
  EXPECT_EQ(s.total_events, 2000u);
  EXPECT_EQ(s.segments.front().first_ts_ns, 1000u);
  EXPECT_EQ(s.segments.back().last_ts_ns, 1000u + 2 * 999 + 1);
  // Every kfree refers to the kmalloc right before it.
  for (const auto& seg : s.segments) {
    for (const auto& se : seg.block) {
      if (se.event.name == "kfree") {
        EXPECT_EQ(se.refs.at("ptr"), 1u);
      }
    }
  }
}

TEST(EventStream, AllocAllThenFreeAllKeepsTheDistance)
{
  std::vector<TraceEvent> events;
  for (int i = 0; i < 50; ++i) {
    events.push_back(event("kmalloc", "p" + std::to_string(i), i));
  }
  for (int i = 0; i < 50; ++i) {
    events.push_back(event("kfree", "p" + std::to_string(i), 100 + i));
  }
  auto s = reduce_events(events, 100);
  EXPECT_EQ(expanded_size(s), 100u);
  const auto& last = s.segments.back().block.back();
  EXPECT_EQ(last.event.name, "kfree");
  EXPECT_EQ(last.refs.at("ptr"), 50u);
}

TEST(EventStream, CapDropsTheMiddleButKeepsCounts)
{
  std::vector<TraceEvent> events;
  for (int i = 0; i < 500; ++i) {
    events.push_back(event("kmalloc", fmt::format("p{}", i), i, 50 + i)); // nothing repeats
  }
  auto s = reduce_events(events, 40);
  EXPECT_EQ(s.segments.size(), 40u);
  EXPECT_EQ(s.omitted_segments, 460u);
  EXPECT_EQ(s.counts["kmalloc"], 500u);
  EXPECT_EQ(s.segments.front().block.front().event.ts_ns, 0u);
  EXPECT_EQ(s.segments.back().block.front().event.ts_ns, 499u);
}

TEST(EventStream, JsonRoundTrip)
{
  std::vector<TraceEvent> events = {event("kmalloc", "a", 1), event("kfree", "a", 2)};
  events.push_back(TraceEvent{"lab5", 50, 0, 3, "console", {}, "objnum 2000"});
  auto s = reduce_events(events, 10);
  auto back = event_stream_from_json(to_json(s));
  EXPECT_EQ(to_json(back), to_json(s));
  EXPECT_EQ(back.segments.back().block.back().event.text, "objnum 2000");
}

TEST(EventStream, AllocationsThatAreNeverFreedStillReduce)
{
  std::vector<TraceEvent> events;
  for (int i = 0; i < 3000; ++i) {
    auto ev = event("kmalloc", fmt::format("p{}", i), i);
    ev.text = "call_site=fn+0x1/0x2 [lab5] ptr=p" + std::to_string(i);
    events.push_back(ev);
  }
  auto s = reduce_events(events, 100);
  EXPECT_EQ(s.omitted_segments, 0u);
  EXPECT_EQ(expanded_size(s), 3000u);
}
