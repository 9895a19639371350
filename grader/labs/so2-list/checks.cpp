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

// With CONFIG_DEBUG_LIST, list_add()'s and list_del()'s inline code calls these first: a
// call of one from the module's code is a change of a <linux/list.h> list.
bool changes_list(std::string_view fn)
{
  return fn == "__list_add_valid" || fn == "__list_del_entry_valid";
}

// Every change of a list the module makes, in the loads that ran, happens while the task that
// makes it holds a lock it took itself, and is released after. Walking a list is inline code
// that calls nothing the kernel can trace, so traversals are not observed.
Verdict check_locking(const ModuleEvidence& e, const LabFacts& facts)
{
  std::size_t loads = 0;
  std::size_t changes = 0;
  std::vector<std::string> unlocked;
  std::set<std::string> locks;
  std::vector<std::string> broken;
  for (const auto& run : e.runs) {
    RunView view(run, facts);
    if (auto v = unusable(view, CrashGate::error)) {
      broken.push_back(view.label() + ": " + v->message);
      continue;
    }
    ++loads;
    std::map<int, std::vector<std::string>> held; // task -> the locks it took, innermost last
    for (const auto& se : view.events()) {
      const auto& ev = se.event;
      if (ev.name != "function" || !view.from_module(ev)) {
        continue;
      }
      const auto& fn = ev.field("func");
      auto& stack = held[ev.pid];
      if (acquires(fn)) {
        stack.push_back(fn);
        locks.insert(fn);
      } else if (releases(fn)) {
        if (!stack.empty()) {
          stack.pop_back();
        }
      } else if (changes_list(fn)) {
        ++changes;
        if (stack.empty()) {
          unlocked.push_back(fmt::format("{}: {} called from {} in task {}-{} with no lock held", view.label(), fn,
                                         ev.field("parent"), ev.comm, ev.pid));
        }
      }
    }
  }
  if (loads == 0) {
    return error(broken.empty() ? "no load of the module came back from the sandbox" : broken.front());
  }
  const std::string unobserved =
    "; walking the list (list_for_each_entry) is inline code the kernel cannot trace, so traversals are not checked";
  Verdict v;
  if (changes == 0) {
    v = fail(fmt::format("in {} load(s), the module's code changed no <linux/list.h> list (no list_add or list_del "
                         "was seen): keep the names in a struct list_head list",
                         loads));
  } else if (!unlocked.empty()) {
    v = fail(fmt::format("{} of {} change(s) of the list were made with no lock held: {}. Take a spinlock, rwlock "
                         "or mutex around every list_add, list_del and walk of the list{}",
                         unlocked.size(), changes, unlocked.front(), unobserved));
  } else {
    std::string names;
    for (const auto& l : locks) {
      names += (names.empty() ? "" : ", ") + l;
    }
    v = pass(fmt::format("all {} change(s) of the list in {} load(s) were made holding a lock ({}){}", changes, loads,
                         names, unobserved));
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
