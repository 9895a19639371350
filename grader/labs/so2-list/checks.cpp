#include "labs/so2-list/checks.h"

#include "evaluate/check_support.h"

#include <fmt/format.h>

#include <map>
#include <set>
#include <string_view>

namespace kmgrade::labs::so2_list {

using evaluate::add_evidence;
using evaluate::CrashGate;
using evaluate::error;
using evaluate::fail;
using evaluate::LabFacts;
using evaluate::ModuleEvidence;
using evaluate::pass;
using evaluate::RunView;
using evaluate::Verdict;

namespace {

bool starts_with(std::string_view text, std::string_view prefix)
{
  return text.substr(0, prefix.size()) == prefix;
}

// The lock calls a module makes itself: spin_lock() and its kin reach _raw_spin_lock and the
// like out of line on Debian's 6.1, and mutexes and semaphores are calls.
bool acquires(std::string_view fn)
{
  const bool raw = starts_with(fn, "_raw_") && fn.find("_unlock") == std::string_view::npos &&
                   fn.find("_lock") != std::string_view::npos;
  return raw || starts_with(fn, "mutex_lock") || fn == "mutex_trylock" || starts_with(fn, "down_read") ||
         starts_with(fn, "down_write");
}

bool releases(std::string_view fn)
{
  return (starts_with(fn, "_raw_") && fn.find("_unlock") != std::string_view::npos) || fn == "mutex_unlock" ||
         fn == "up_read" || fn == "up_write";
}

bool allocates(std::string_view event)
{
  return event == "kmalloc" || event == "kmem_cache_alloc";
}

bool frees(std::string_view event)
{
  return event == "kfree" || event == "kmem_cache_free";
}

// The tasks that changed what the module keeps: each allocated memory of the module's that
// it did not free itself (a name added), or freed memory another task allocated (a name
// removed). A command copied into a buffer that the handler frees again changes nothing.
std::set<int> tasks_that_changed_the_list(const RunView& view)
{
  const auto& events = view.events();
  std::set<std::size_t> temporary; // allocations their own task freed again
  std::set<int> changed;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& ev = events[i].event;
    if (!frees(ev.name)) {
      continue;
    }
    // The pairing survives the agent's reduction of the stream as a distance back, not as
    // the pointer's value.
    const auto* allocation = view.referenced(i, "ptr");
    if (allocation && allocates(allocation->event.name) && allocation->event.pid == ev.pid) {
      temporary.insert(static_cast<std::size_t>(allocation - events.data()));
    } else if (allocation || ev.field("ptr").find_first_not_of('0') != std::string::npos) {
      changed.insert(ev.pid);
    }
  }
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (allocates(events[i].event.name) && !temporary.count(i)) {
      changed.insert(events[i].event.pid);
    }
  }
  return changed;
}

// What a step gave the handler to do, for a message: `write "addf lorem\n"`, `read /proc/list/preview`.
std::string step_text(const observe::UserStep& step)
{
  if (step.kind != observe::StepKind::write) {
    return std::string(observe::to_string(step.kind)) + " " + step.path;
  }
  std::string data;
  for (const char c : step.data.substr(0, 40)) {
    data += c == '\n' ? std::string("\\n") : std::string(1, c);
  }
  return "write \"" + data + (step.data.size() > 40 ? "...\"" : "\"");
}

// A step whose handler worked on the list: a write that changed it (a name added or
// removed), or a read of the preview that gave names (the list walked). A
// handler that did neither, a delete that removes nothing, has nothing to lock.
bool works_on_list(const observe::UserStep& step, const observe::UserStepResult& result,
                   const std::set<int>& changed_the_list)
{
  if (result.pid == 0 || result.timed_out) {
    return false;
  }
  if (step.kind == observe::StepKind::write) {
    return changed_the_list.count(result.pid) > 0;
  }
  return step.kind == observe::StepKind::read && result.result > 0 && step.path.ends_with("/preview");
}

// Each handler that changed or walked the list, in the loads that ran, took a lock in the
// module's own code and released it, in the process of the step that ran it. Which lock
// functions the module called is seen (kprobes on them, kept for calls from the module's
// code); where its list_add and list_del fall between them is not: on Debian's 6.1 the
// DEBUG_LIST validators they call are notrace and refuse a kprobe, and walking a list calls
// nothing.
Verdict check_locking(const ModuleEvidence& e, const LabFacts& facts)
{
  std::size_t loads = 0;
  std::size_t handlers = 0;
  std::vector<std::string> unlocked;
  std::set<std::string> locks;
  std::vector<std::string> broken;
  std::vector<std::string> untraceable;
  for (const auto& run : e.runs) {
    RunView view(run, facts);
    if (auto v = unusable(view, CrashGate::error)) {
      broken.push_back(view.label() + ": " + v->message);
      continue;
    }
    for (const auto& u : run.untraceable) {
      if (acquires(u.function) || releases(u.function)) {
        untraceable.push_back(u.function + ": " + u.why);
      }
    }
    ++loads;
    const std::set<int> changed_the_list = tasks_that_changed_the_list(view);
    std::map<int, std::vector<std::string>> held; // task -> the locks it holds, innermost last
    std::map<int, bool> locked_and_released;      // task -> took a lock and released it
    for (const auto& se : view.events()) {
      const auto& ev = se.event;
      if (ev.name != "module_call") {
        continue;
      }
      const auto& fn = ev.field("func");
      auto& stack = held[ev.pid];
      if (acquires(fn)) {
        stack.push_back(fn);
        locks.insert(fn);
      } else if (releases(fn) && !stack.empty()) {
        stack.pop_back();
        locked_and_released[ev.pid] = true;
      }
    }
    const auto& steps = run.request.steps;
    for (std::size_t i = 0; i < steps.size() && i < run.steps.size(); ++i) {
      if (!works_on_list(steps[i], run.steps[i], changed_the_list)) {
        continue;
      }
      ++handlers;
      if (!locked_and_released[run.steps[i].pid]) {
        unlocked.push_back(fmt::format("step {} of {} ({}) took no lock", i + 1, view.label(), step_text(steps[i])));
      }
    }
  }
  if (loads == 0) {
    return error(broken.empty() ? "no load of the module came back from the sandbox" : broken.front());
  }
  if (!untraceable.empty()) {
    Verdict v =
      error("the sandbox could not trace the lock functions, so locking cannot be observed: " + untraceable.front());
    for (const auto& u : untraceable) {
      add_evidence(v, u);
    }
    return v;
  }
  const std::string unobserved =
    "; where the list_add and list_del fall between lock and unlock is not observed (on this kernel the list "
    "functions they call cannot be traced)";
  if (handlers == 0) {
    // Nothing to lock was seen: the checks of adding and deleting already cost what went wrong.
    return {evaluate::Status::not_run,
            fmt::format("not run: in {} load(s), no command added or removed a name and no read of the preview "
                        "gave one, so no handler of the list was seen at work (see list.add-one)",
                        loads),
            {},
            false,
            {}};
  }
  Verdict v;
  if (!unlocked.empty()) {
    v = fail(fmt::format("{} of {} handler(s) that changed or walked the list took no lock: {}. Take a spinlock, "
                         "rwlock or mutex around every list_add, list_del and walk of the list",
                         unlocked.size(), handlers, unlocked.front()));
  } else {
    std::string names;
    for (const auto& l : locks) {
      names += (names.empty() ? "" : ", ") + l;
    }
    v = pass(fmt::format("all {} handler(s) that changed or walked the list took a lock and released it ({}){}",
                         handlers, names, unobserved));
  }
  for (std::size_t i = 0; i < unlocked.size() && i < 10; ++i) {
    add_evidence(v, unlocked[i]);
  }
  for (const auto& b : broken) {
    add_evidence(v, "left out: " + b);
  }
  return v;
}

} // namespace

const evaluate::CheckTable& checks()
{
  static const evaluate::CheckTable k_checks = {
    {"list", "locking", check_locking},
  };
  return k_checks;
}

} // namespace kmgrade::labs::so2_list
