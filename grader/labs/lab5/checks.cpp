#include "labs/lab5/checks.h"

#include "evaluate/check_support.h"
#include "observe/numbers.h"

#include <algorithm>
#include <set>

namespace kmgrade::labs::lab5 {

using evaluate::add_evidence;
using evaluate::add_module_messages;
using evaluate::error;
using evaluate::fail;
using evaluate::join;
using evaluate::LabFacts;
using evaluate::ModuleEvidence;
using evaluate::pass;
using evaluate::quote_message;
using evaluate::RunView;
using evaluate::Status;
using evaluate::Verdict;
using observe::StreamEvent;
using observe::TraceEvent;

namespace {

// The lab's parameter: how many structs the thread allocates.
unsigned objnum_of(const RunView& view)
{
  return static_cast<unsigned>(view.number("objnum"));
}

// The size of the lab's struct (8 unsigned ints), from the lab file's facts.
unsigned struct_size(const LabFacts& facts)
{
  return static_cast<unsigned>(facts.number("struct_size"));
}

// The largest order alloc_pages serves (MAX_ORDER - 1 on 6.1), from the lab file's facts.
unsigned max_order(const LabFacts& facts)
{
  return static_cast<unsigned>(facts.number("max_order"));
}

// The pages the module's thread allocated, by index.
std::vector<std::size_t> thread_page_allocs(const RunView& view, const LabFacts& facts)
{
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < view.events().size(); ++i) {
    const auto& ev = view.events()[i].event;
    if (ev.name == "mm_page_alloc" && evaluate::module_allocation(view, ev, facts)) {
      out.push_back(i);
    }
  }
  return out;
}

Verdict check_order(const ModuleEvidence& e, const LabFacts& facts)
{
  auto loaded = thread_views(e, facts);
  if (auto* v = std::get_if<Verdict>(&loaded)) {
    return *v;
  }
  std::vector<std::string> seen;
  std::vector<std::string> ignored;
  Verdict bad;
  for (const auto& view : std::get<std::vector<RunView>>(loaded)) {
    if (ignored_param(view)) {
      ignored.push_back(view.label());
      continue;
    }
    const auto& run = view.run();
    unsigned want = expected_order(objnum_of(view), facts.page_size, struct_size(facts));
    auto allocs = thread_page_allocs(view, facts);
    std::string objnum = "objnum " + std::to_string(objnum_of(view));
    if (allocs.size() != 1) {
      if (bad.message.empty()) {
        bad =
          fail(objnum + ": expected exactly one alloc_pages() from the thread, saw " + std::to_string(allocs.size()));
        for (const auto& rec : run.log) {
          if (rec.text.find("WARNING:") == 0 && rec.text.find("mm/page_alloc.c") != std::string::npos) {
            bad.message += "; the kernel refused the allocation with a warning, as it does for an order above " +
                           std::to_string(max_order(facts)) + ": compute the order from the number of pages, not bytes";
            add_evidence(bad, rec.text);
            break;
          }
        }
      }
      for (auto i : allocs) {
        add_evidence(bad, objnum + ": " + describe(view.events()[i].event));
      }
      continue;
    }
    const auto& ev = view.events()[allocs.front()].event;
    // The kernel prints the order as a number; anything else reads as 0, as a missing field does.
    unsigned got = observe::parse_number<unsigned>(ev.field("order")).value_or(0);
    if (got != want && bad.message.empty()) {
      const unsigned long per_page = static_cast<unsigned long>(facts.page_size) / struct_size(facts);
      bad = fail(objnum + ": alloc_pages order " + std::to_string(got) + ", expected " + std::to_string(want) + " (" +
                 std::to_string(objnum_of(view)) + " structs of " + std::to_string(struct_size(facts)) +
                 " bytes need " + std::to_string((objnum_of(view) + per_page - 1) / per_page) +
                 " page(s)): compute the order from objnum and PAGE_SIZE");
    }
    if (got != want) {
      add_evidence(bad, objnum + ": " + describe(ev));
    }
    if (ev.field("gfp_flags").find("GFP_KERNEL") == std::string::npos && bad.message.empty()) {
      bad = fail(objnum + ": alloc_pages was called with " + ev.field("gfp_flags") + ", the lab asks for GFP_KERNEL");
      add_evidence(bad, describe(ev));
    }
    seen.push_back("order " + std::to_string(got) + " for objnum " + std::to_string(objnum_of(view)));
  }
  if (!bad.message.empty()) {
    return bad;
  }
  Verdict v = pass(join(seen, "; ") + ungraded_note(ignored, facts));
  for (const auto& view : std::get<std::vector<RunView>>(loaded)) {
    if (ignored_param(view)) {
      continue;
    }
    for (auto i : thread_page_allocs(view, facts)) {
      add_evidence(v, describe(view.events()[i].event));
    }
  }
  return v;
}

Verdict check_page_free(const ModuleEvidence& e, const LabFacts& facts)
{
  auto loaded = thread_views(e, facts);
  if (auto* v = std::get_if<Verdict>(&loaded)) {
    return *v;
  }
  for (const auto& view : std::get<std::vector<RunView>>(loaded)) {
    auto allocs = thread_page_allocs(view, facts);
    if (allocs.empty()) {
      return fail("objnum " + std::to_string(objnum_of(view)) + ": the thread allocated no pages, so none were freed");
    }
    for (auto i : allocs) {
      const auto& alloc = view.events()[i].event;
      auto f = evaluate::freed_by(view, i, *evaluate::allocation_kind(alloc, facts));
      if (!f) {
        Verdict v =
          fail("objnum " + std::to_string(objnum_of(view)) +
               ": the pages from alloc_pages were never freed: call __free_pages() with the same page and order");
        add_evidence(v, describe(alloc));
        return v;
      }
      const auto& fr = view.events()[*f].event;
      if (fr.field("order") != alloc.field("order")) {
        Verdict v = fail("objnum " + std::to_string(objnum_of(view)) + ": pages allocated with order " +
                         alloc.field("order") + " were freed with order " + fr.field("order"));
        add_evidence(v, describe(alloc));
        add_evidence(v, describe(fr));
        return v;
      }
    }
  }
  return pass("every alloc_pages() was matched by __free_pages() of the same pages and order");
}

// Allocations by the module that no free matched within the load.
// ---- object loops (kmem_alloc, cache_alloc) -------------------------------------------

Verdict check_loop(const ModuleEvidence& e, const LabFacts& facts, const std::string& alloc_name,
                   const std::string& free_name, const std::string& what)
{
  auto loaded = thread_views(e, facts);
  if (auto* v = std::get_if<Verdict>(&loaded)) {
    return *v;
  }
  std::vector<std::string> seen;
  std::vector<std::string> ignored;
  for (const auto& view : std::get<std::vector<RunView>>(loaded)) {
    if (ignored_param(view)) {
      ignored.push_back(view.label());
      continue;
    }
    const auto& run = view.run();
    std::string cache_name = run.slab_created.empty() ? "" : run.slab_created.front().name;
    std::size_t allocs = 0;
    std::size_t frees = 0;
    std::size_t paired = 0;
    std::size_t overlapping = 0;
    std::optional<std::string> first_problem;
    std::vector<std::string> evidence;
    constexpr std::size_t k_none = static_cast<std::size_t>(-1);
    std::size_t open = k_none; // index of the allocation not yet freed
    for (std::size_t i = 0; i < view.events().size(); ++i) {
      const auto& ev = view.events()[i].event;
      if (!view.is_module_thread(ev.pid) || !view.from_module(ev)) {
        continue;
      }
      if (ev.name == alloc_name) {
        ++allocs;
        if (evidence.size() < 2) {
          evidence.push_back(describe(ev));
        }
        overlapping += open != k_none;
        if (ev.field("bytes_req") != std::to_string(struct_size(facts)) && !first_problem) {
          first_problem = "an allocation of " + ev.field("bytes_req") + " bytes, expected " +
                          std::to_string(struct_size(facts)) + " (one struct)";
        }
        open = i;
      } else if (ev.name == free_name) {
        ++frees;
        if (open != k_none && view.referenced(i, "ptr") == &view.events()[open]) {
          ++paired;
          open = k_none;
        }
        if (!cache_name.empty() && free_name == "kmem_cache_free" && ev.field("name") != cache_name && !first_problem) {
          first_problem = "objects were freed to cache " + ev.field("name") + ", not to " + cache_name;
        }
        if (evidence.size() < 3) {
          evidence.push_back(describe(ev));
        }
      }
    }
    std::string objnum = "objnum " + std::to_string(objnum_of(view));
    if (allocs != objnum_of(view) && !first_problem) {
      first_problem = std::to_string(allocs) + " " + alloc_name + " calls from the thread, expected " +
                      std::to_string(objnum_of(view));
    }
    if (!first_problem && frees == 0 && allocs > 0) {
      first_problem = "none of the " + std::to_string(allocs) + " objects was freed (no " + free_name + " seen)";
    }
    if (!first_problem && overlapping > 0) {
      first_problem = std::to_string(overlapping) + " objects were allocated before the previous one was freed";
    }
    if (!first_problem && paired != allocs) {
      first_problem = std::to_string(allocs - paired) + " of " + std::to_string(allocs) +
                      " objects were not freed right after being allocated";
    }
    if (first_problem) {
      if (run.events.omitted_segments) {
        *first_problem += " (of the events the sandbox kept: the trace was too irregular to keep whole)";
      }
      Verdict v = fail(objnum + ": " + *first_problem + "; the loop must " + what);
      for (const auto& line : evidence) {
        add_evidence(v, line);
      }
      return v;
    }
    seen.push_back(std::to_string(allocs) + " for objnum " + std::to_string(objnum_of(view)));
  }
  return pass(alloc_name + "/" + free_name + " pairs from the thread: " + join(seen, ", ") +
              ungraded_note(ignored, facts));
}

Verdict check_kmalloc_loop(const ModuleEvidence& e, const LabFacts& facts)
{
  return check_loop(e, facts, "kmalloc", "kfree", "kmalloc one struct and kfree it, objnum times");
}

Verdict check_cache_loop(const ModuleEvidence& e, const LabFacts& facts)
{
  return check_loop(e, facts, "kmem_cache_alloc", "kmem_cache_free",
                    "kmem_cache_alloc one struct from the module's cache and kmem_cache_free it, objnum times");
}

Verdict check_approach(const ModuleEvidence& e, const LabFacts& facts)
{
  auto loaded = loaded_views(e, facts);
  if (auto* v = std::get_if<Verdict>(&loaded)) {
    return *v;
  }
  for (const auto& view : std::get<std::vector<RunView>>(loaded)) {
    for (auto i : thread_page_allocs(view, facts)) {
      const auto& ev = view.events()[i].event;
      // Compound pages are the slab allocator refilling kmalloc's caches, not the module.
      if (ev.field("gfp_flags").find("__GFP_COMP") != std::string::npos) {
        continue;
      }
      if (ev.field("order") != "0" && !ev.field("order").empty()) {
        Verdict v =
          fail("objnum " + std::to_string(objnum_of(view)) + ": the thread still allocates whole pages (order " +
               ev.field("order") + "); allocate each object with kmalloc instead");
        add_evidence(v, describe(ev));
        return v;
      }
    }
  }
  return pass("no multi-page allocation from the module's thread");
}

Verdict check_cache_create(const ModuleEvidence& e, const LabFacts& facts)
{
  auto got = default_view(e, facts);
  if (auto* v = std::get_if<Verdict>(&got)) {
    return *v;
  }
  const auto& run = std::get<RunView>(got).run();
  if (run.slab_created.empty()) {
    return fail(
      "no new cache appeared in /sys/kernel/slab after insmod: call kmem_cache_create() in the init function");
  }
  for (const auto& c : run.slab_created) {
    if (c.object_size == static_cast<long>(struct_size(facts))) {
      Verdict v = pass("cache " + c.name + " created for " + std::to_string(c.object_size) + "-byte objects");
      add_evidence(v, "/sys/kernel/slab/" + c.name + "/object_size = " + std::to_string(c.object_size));
      return v;
    }
  }
  const auto& c = run.slab_created.front();
  Verdict v = fail("cache " + c.name + " holds " + std::to_string(c.object_size) + "-byte objects, expected " +
                   std::to_string(struct_size(facts)) + ": create it with sizeof(struct ...)");
  add_evidence(v, "/sys/kernel/slab/" + c.name + "/object_size = " + std::to_string(c.object_size));
  return v;
}

Verdict check_cache_destroy(const ModuleEvidence& e, const LabFacts& facts)
{
  auto loaded = loaded_views(e, facts);
  if (auto* v = std::get_if<Verdict>(&loaded)) {
    return *v;
  }
  bool any_created = false;
  for (const auto& view : std::get<std::vector<RunView>>(loaded)) {
    const auto& run = view.run();
    any_created = any_created || !run.slab_created.empty();
    for (const auto& rec : run.log) {
      if (observe::classify_log_line(rec.text) == observe::KernelTrouble::slab_leak) {
        Verdict v = fail("kmem_cache_destroy found objects still in the cache: free every object first");
        add_evidence(v, rec.text);
        return v;
      }
    }
    if (!run.slab_left.empty()) {
      Verdict v = fail("cache " + run.slab_left.front().name + " is still in /sys/kernel/slab after rmmod (" +
                       view.label() + "): call kmem_cache_destroy() in the exit function");
      add_evidence(v, "/sys/kernel/slab/" + run.slab_left.front().name + " present after rmmod");
      return v;
    }
  }
  if (!any_created) {
    return {Status::not_run, "not run: the module created no cache (see cache_alloc.cache-create)", {}, false, {}};
  }
  return pass("the cache was gone from /sys/kernel/slab after every rmmod");
}

Verdict check_not_kmalloc(const ModuleEvidence& e, const LabFacts& facts)
{
  auto loaded = loaded_views(e, facts);
  if (auto* v = std::get_if<Verdict>(&loaded)) {
    return *v;
  }
  for (const auto& view : std::get<std::vector<RunView>>(loaded)) {
    std::size_t count = 0;
    Verdict v;
    for (const auto& se : view.events()) {
      if (se.event.name == "kmalloc" && view.from_module(se.event) &&
          se.event.field("bytes_req") == std::to_string(struct_size(facts))) {
        ++count;
        add_evidence(v, describe(se.event));
      }
    }
    if (count) {
      v.status = Status::fail;
      v.message = "objnum " + std::to_string(objnum_of(view)) + ": the module called kmalloc " + std::to_string(count) +
                  " times for " + std::to_string(struct_size(facts)) +
                  "-byte objects: allocate them from the cache with kmem_cache_alloc";
      v.evidence.resize(std::min<std::size_t>(v.evidence.size(), 2));
      return v;
    }
  }
  return pass("no kmalloc of struct-sized objects from the module");
}

Verdict check_struct_size(const ModuleEvidence& e, const LabFacts& facts)
{
  auto got = default_view(e, facts);
  if (auto* v = std::get_if<Verdict>(&got)) {
    return *v;
  }
  const auto& view = std::get<RunView>(got);
  if (const auto* ev = module_message_with(view, struct_size(facts))) {
    Verdict v = pass("the module reported the struct size, " + std::to_string(struct_size(facts)) + " bytes" +
                     (view.is_module_thread(ev->pid) ? "" : " (from its init function, see thread)"));
    add_evidence(v, quote_message(*ev));
    return v;
  }
  Verdict v = fail("no message of the module contains the struct size " + std::to_string(struct_size(facts)) +
                   " (8 unsigned ints): print sizeof(struct ...) from the thread");
  add_module_messages(v, view);
  return v;
}

} // namespace

unsigned expected_order(unsigned objnum, long page_size, unsigned struct_size)
{
  const unsigned long per_page = static_cast<unsigned long>(page_size) / struct_size;
  const unsigned long pages = (objnum + per_page - 1) / per_page;
  unsigned order = 0;
  while ((1UL << order) < pages) {
    ++order;
  }
  return order;
}

const evaluate::CheckTable& checks()
{
  static const evaluate::CheckTable k_checks = {
    {"", "struct-size", check_struct_size},
    {"page_alloc", "order", check_order},
    {"page_alloc", "free", check_page_free},
    {"kmem_alloc", "loop", check_kmalloc_loop},
    {"kmem_alloc", "approach", check_approach},
    {"cache_alloc", "cache-create", check_cache_create},
    {"cache_alloc", "loop", check_cache_loop},
    {"cache_alloc", "cache-destroy", check_cache_destroy},
    {"cache_alloc", "not-kmalloc", check_not_kmalloc},
  };
  return k_checks;
}

} // namespace kmgrade::labs::lab5
