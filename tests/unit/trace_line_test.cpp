#include "observe/trace_line.h"

#include <gtest/gtest.h>

using kmgrade::observe::parse_trace_fields;
using kmgrade::observe::parse_trace_line;

TEST(TraceLine, ParsesAKmallocEventWithModuleCallSite)
{
  auto ev = parse_trace_line(
    "      kmem_alloc-108     [001] .....    12.345678: kmalloc: call_site=fn+0x54/0xaf [lab5_kmem_alloc] "
    "ptr=ffff8bd743f422a0 bytes_req=32 bytes_alloc=160 gfp_flags=GFP_KERNEL node=-1 accounted=false");
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->comm, "kmem_alloc");
  EXPECT_EQ(ev->pid, 108);
  EXPECT_EQ(ev->cpu, 1);
  EXPECT_EQ(ev->ts_ns, 12'345'678'000ULL);
  EXPECT_EQ(ev->name, "kmalloc");
  EXPECT_EQ(ev->field("call_site"), "fn+0x54/0xaf [lab5_kmem_alloc]");
  EXPECT_EQ(ev->field("bytes_req"), "32");
  EXPECT_EQ(ev->field("gfp_flags"), "GFP_KERNEL");
  EXPECT_EQ(ev->field("absent"), "");
}

TEST(TraceLine, CommMayHoldSpacesAndDashes)
{
  auto ev =
    parse_trace_line(" my thread-x-1-42 [000] d..1.   3.000001: mm_page_free: page=00000000 pfn=0x5d50 order=4");
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->comm, "my thread-x-1");
  EXPECT_EQ(ev->pid, 42);
  EXPECT_EQ(ev->field("order"), "4");
  EXPECT_EQ(ev->ts_ns, 3'000'001'000ULL);
}

TEST(TraceLine, FunctionTracerHitHasFuncAndParent)
{
  auto ev = parse_trace_line("            init-1       [000] ...1.     3.678975: kthread_bind <-page_alloc_mod_init");
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->name, "function");
  EXPECT_EQ(ev->field("func"), "kthread_bind");
  EXPECT_EQ(ev->field("parent"), "page_alloc_mod_init");
  EXPECT_EQ(ev->pid, 1);
}

TEST(TraceLine, ConsoleEventKeepsItsText)
{
  auto ev = parse_trace_line("      page_alloc-99      [000] .....     3.700000: console: page_alloc: objnum = 2000");
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->name, "console");
  EXPECT_EQ(ev->text, "page_alloc: objnum = 2000");
}

TEST(TraceLine, RejectsCommentsBlanksAndGarbage)
{
  EXPECT_FALSE(parse_trace_line("# tracer: function"));
  EXPECT_FALSE(parse_trace_line("   "));
  EXPECT_FALSE(parse_trace_line("no cpu column here: x=1"));
  EXPECT_FALSE(parse_trace_line("task-notanumber [000] ..... 1.0: e: a=1"));
}

TEST(TraceLine, FieldsJoinTokensWithoutEquals)
{
  auto f = parse_trace_fields("a=1 call_site=x+0x1/0x2 [mod] b=2");
  EXPECT_EQ(f.size(), 3u);
  EXPECT_EQ(f["call_site"], "x+0x1/0x2 [mod]");
  EXPECT_EQ(f["b"], "2");
}

TEST(TraceLine, ConsoleTextWithEqualsSignsStaysText)
{
  auto ev = parse_trace_line("      page_alloc-99      [001] .....     3.7: console: [page_alloc] objnum=2000");
  ASSERT_TRUE(ev);
  EXPECT_TRUE(ev->fields.empty());
  EXPECT_EQ(ev->text, "[page_alloc] objnum=2000");
}
