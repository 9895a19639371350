#include "evaluate/common_checks.h"

#include "evaluate/check_support.h"
#include "evaluate/timing.h"
#include "observe/numbers.h"

#include <algorithm>
#include <map>
#include <set>

namespace kmgrade::evaluate {

using observe::StreamEvent;
using observe::TraceEvent;

namespace {

// What the compiler's words say of an interface the kernel changed under a skeleton older
// than it: the change, and what to write now; "" when they say nothing of one.
std::string changed_interface(const std::string& log)
{
  if (log.find("struct proc_ops") != std::string::npos && log.find("struct file_operations") != std::string::npos) {
    return "it gives proc_create a struct file_operations, which Linux 5.6 replaced for /proc files with struct "
           "proc_ops: write its handlers as .proc_read, .proc_write, .proc_open, .proc_release and .proc_lseek of a "
           "const struct proc_ops";
  }
  return "";
}

Verdict check_build(const ModuleEvidence& e, const LabFacts&)
{
  const auto& b = *e.build;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
  for (const auto& d : b.diagnostics) {
    std::string line =
      d.file + ":" + std::to_string(d.line) + ":" + std::to_string(d.column) + ": " + d.severity + ": " + d.message;
    (d.severity == "error" ? errors : warnings).push_back(line);
  }
  Verdict v;
  if (b.ok) {
    v = pass(e.file + " compiled against the sandbox kernel's headers" +
             (warnings.empty() ? std::string() : " with " + std::to_string(warnings.size()) + " warning(s)"));
  } else if (!b.stopped.empty()) {
    v = fail(e.file + " did not compile: the build was stopped because " + b.stopped);
  } else if (b.shimmed) {
    v = fail(
      e.file + " does not compile on Linux " + "6.x: it uses " + join(b.removed_apis, ", ") +
      ", removed from current kernels (use ktime_get_ns() or ktime_get_real_ts64() and struct timespec64). The other checks were graded on a build with a compatibility header");
  } else {
    std::string why = errors.empty() ? "see the build log" : std::to_string(errors.size()) + " error(s)";
    if (errors.empty() && b.log.find("missing MODULE_LICENSE") != std::string::npos) {
      why = "MODULE_LICENSE is missing (modpost refuses the module)";
    }
    if (const auto change = changed_interface(b.log); !change.empty()) {
      why += "; " + change;
    }
    if (!b.removed_apis.empty()) {
      why += "; it also uses " + join(b.removed_apis, ", ") +
             ", removed from current kernels (use ktime_get_ns(), or ktime_get_real_ts64() with struct timespec64)";
    }
    v = fail(e.file + " did not compile: " + why);
  }
  for (const auto& included : b.includes) {
    add_evidence(v, "built with " + included + " from the submission");
  }
  // A file can make the compiler repeat itself without end; the first lines say what is wrong.
  constexpr std::size_t k_shown = 20;
  for (const auto* lines : {&errors, &warnings}) {
    for (std::size_t i = 0; i < lines->size() && i < k_shown; ++i) {
      add_evidence(v, (*lines)[i]);
    }
    if (lines->size() > k_shown) {
      add_evidence(v, "... and " + std::to_string(lines->size() - k_shown) + " more like these");
    }
  }
  return v;
}

Verdict check_license(const ModuleEvidence& e, const LabFacts&)
{
  const auto& license = e.build->info.license;
  if (license.empty()) {
    return fail("no MODULE_LICENSE in " + e.file + ": add MODULE_LICENSE(\"GPL\")");
  }
  Verdict v = pass("MODULE_LICENSE(\"" + license + "\")");
  add_evidence(v, "modinfo license=" + license);
  return v;
}

// A parameter type as a C programmer says it.
std::string c_type(const std::string& type)
{
  static const std::map<std::string, std::string> k_words = {{"uint", "an unsigned int"},
                                                             {"int", "an int"},
                                                             {"ulong", "an unsigned long"},
                                                             {"long", "a long"},
                                                             {"ushort", "an unsigned short"},
                                                             {"short", "a short"},
                                                             {"bool", "a bool"},
                                                             {"charp", "a string (charp)"}};
  const auto found = k_words.find(type);
  return found == k_words.end() ? type : found->second;
}

Verdict check_param(const ModuleEvidence& e, const LabFacts& facts)
{
  const auto& want = facts.params.front();
  const std::string declare = "module_param(" + want.name + ", " + want.type + ", 0444)";
  std::vector<std::string> declared;
  for (const auto& [name, type] : e.build->info.params) {
    declared.push_back(name + ":" + type);
    if (name == want.name) {
      Verdict v = type == want.type ? pass("parameter " + want.name + " of type " + want.type)
                                    : fail("parameter " + want.name + " is declared as " + type + ", not as " +
                                           c_type(want.type) + ": use " + declare);
      add_evidence(v, "modinfo parmtype=" + want.name + ":" + type);
      return v;
    }
  }
  Verdict v = fail(declared.empty() ? "the module declares no parameter: add " + declare
                                    : "no parameter named " + want.name + " (declared: " + join(declared, ", ") +
                                        "): the lab loads the module with " + want.name + "=N");
  for (const auto& d : declared) {
    add_evidence(v, "modinfo parmtype=" + d);
  }
  return v;
}

// The module reports `expected` when loaded with `params`.
Verdict check_reports_value(const ModuleEvidence& e, const LabFacts& facts, const std::string& params,
                            unsigned long long expected)
{
  const auto* run = find_run(e, params);
  if (!run) {
    return error(missing_run_message(e, params));
  }
  RunView view(*run, facts);
  if (auto v = unusable(view, CrashGate::error)) {
    return *v;
  }
  if (const auto* rec = ignored_param(view)) {
    Verdict v =
      fail("the module has no parameter named " + facts.params.front().name + ": the kernel ignored " + params);
    add_evidence(v, rec->text);
    return v;
  }
  // Whether the value arrived, wherever the module printed it: where is thread's to judge.
  if (const auto* ev = module_message_with(view, expected)) {
    Verdict v = pass("loaded with " + view.label() + ", the module reported " + std::to_string(expected) +
                     (view.is_module_thread(ev->pid) ? "" : " (from its init function, see thread)"));
    add_evidence(v, quote_message(*ev));
    return v;
  }
  Verdict v = fail("loaded with " + view.label() + ", no message of the module contains " + std::to_string(expected));
  add_module_messages(v, view);
  return v;
}

Verdict check_default(const ModuleEvidence& e, const LabFacts& facts)
{
  const auto& param = facts.params.front();
  return check_reports_value(e, facts, "", observe::parse_number<unsigned long long>(param.default_value).value_or(0));
}

// Where the messages and the work happen; whether they say the right thing is for the
// checks that read them.
Verdict check_thread(const ModuleEvidence& e, const LabFacts& facts)
{
  auto got = default_view(e, facts);
  if (auto* v = std::get_if<Verdict>(&got)) {
    return *v;
  }
  const auto& view = std::get<RunView>(got);
  if (!view.has_threads()) {
    Verdict v = fail(
      "the module started no kernel thread: create one with kthread_create() in the init function, and print and do the work there");
    add_module_messages(v, view);
    return v;
  }
  std::vector<std::string> from_init;
  Verdict v;
  for (const auto& [what, number] : facts.printed) {
    const auto* ev = module_message_with(view, number);
    if (ev && !view.is_module_thread(ev->pid)) {
      from_init.push_back(what + " " + std::to_string(number));
      add_evidence(v, quote_message(*ev));
    }
  }
  const auto& thread = view.run().threads.front();
  if (!from_init.empty()) {
    v.status = Status::fail;
    v.message = join(from_init, " and ") + (from_init.size() > 1 ? " are" : " is") +
                " printed by the init function (insmod's context), not by the module's thread " + thread.comm +
                ": print from the thread";
    return v;
  }
  const auto messages = view.thread_messages();
  bool worked = false;
  for (std::size_t i = 0; i < view.events().size() && !worked; ++i) {
    worked = is_work_event(view, i, facts);
  }
  if (messages.empty() && !worked) {
    return fail("the module started kernel thread " + thread.comm + " but it neither printed nor allocated anything");
  }
  v = pass("the messages and the work come from kernel thread " + thread.comm + " (pid " + std::to_string(thread.pid) +
           "), created by the module");
  if (!messages.empty()) {
    add_evidence(v, quote_message(*messages.front()));
  }
  return v;
}

// A call that binds a thread to CPUs, made by the task that loaded the module (for a thread
// not yet started) or by the module's thread itself.
struct Binding
{
  const TraceEvent* call;
  bool by_loader;
};

std::vector<Binding> binding_calls(const RunView& view)
{
  static const std::set<std::string> k_binders = {"kthread_bind", "kthread_bind_mask", "kthread_create_on_cpu"};
  std::vector<Binding> out;
  for (const auto& se : view.events()) {
    const auto& ev = se.event;
    const bool by_loader = ev.pid == view.run().loader_pid;
    if (ev.name != "function" || !(by_loader || view.is_module_thread(ev.pid))) {
      continue;
    }
    const auto& func = ev.field("func");
    // kthread() itself resets every new thread's mask before the module can bind it.
    if (k_binders.count(func) || (func == "set_cpus_allowed_ptr" && ev.field("parent") != "kthread")) {
      out.push_back({&ev, by_loader});
    }
  }
  return out;
}

// The first wake-up of thread `pid` after `after_ns`, preferring one by `waker` (0: anyone).
const TraceEvent* first_waking(const RunView& view, int pid, std::uint64_t after_ns, int waker)
{
  const TraceEvent* any = nullptr;
  for (const auto& se : view.events()) {
    const auto& ev = se.event;
    if (ev.name != "sched_waking" || ev.field("pid") != std::to_string(pid) || ev.ts_ns <= after_ns) {
      continue;
    }
    if (waker == 0 || ev.pid == waker) {
      return &ev;
    }
    any = any ? any : &ev;
  }
  return any;
}

// Whether the thread is bound rests on the binding call and on the thread's events once the
// binding has taken effect, never on where the thread happened to run before. A new thread
// first runs kthread()'s own set-up on whichever CPU kthreadd started it (and takes
// interrupts there); a binding made before the module wakes it (kthread_bind,
// kthread_create_on_cpu) holds from that wake-up on. A thread that binds itself with
// set_cpus_allowed_ptr() sleeps while it is moved and is woken on its new CPU. Wake-ups are
// traced in the waker's context, so a binding call and the wake-up that follows it in the
// same task are ordered whatever the CPUs; the trace clock is global for the rest.
Verdict check_pinned(const ModuleEvidence& e, const LabFacts& facts)
{
  auto got = default_view(e, facts);
  if (auto* v = std::get_if<Verdict>(&got)) {
    return *v;
  }
  const auto& view = std::get<RunView>(got);
  if (!view.has_threads()) {
    return fail("no kernel thread was created, so none is pinned");
  }
  for (const auto& rec : view.run().log) {
    if (rec.text.rfind("WARNING:", 0) == 0 && rec.text.find("kthread") != std::string::npos) {
      Verdict v = fail(
        "kthread_bind was called after the thread had started: the kernel warned and did not bind it. Bind between kthread_create() and wake_up_process(), or use kthread_create_on_cpu()");
      add_evidence(v, rec.text);
      return v;
    }
  }
  const auto bindings = binding_calls(view);
  std::vector<std::string> evidence;
  for (const auto& b : bindings) {
    evidence.push_back(b.call->field("func") + " called from " + b.call->field("parent") + " by " + b.call->comm + "-" +
                       std::to_string(b.call->pid));
  }
  std::vector<std::string> wide_masks;
  for (const auto& t : view.run().threads) {
    if (!t.cpus_allowed.empty()) {
      evidence.push_back(t.comm + " may run on CPUs " + t.cpus_allowed);
      if (t.cpus_allowed.find_first_of(",-") != std::string::npos) {
        wide_masks.push_back(t.cpus_allowed);
      }
    }
  }
  auto with_evidence = [&](Verdict v) {
    for (const auto& line : evidence) {
      add_evidence(v, line);
    }
    return v;
  };
  if (bindings.empty()) {
    return with_evidence(fail(
      "the thread is not pinned: no kthread_bind(), kthread_create_on_cpu() or set_cpus_allowed_ptr() call was seen"));
  }
  if (!wide_masks.empty()) {
    return with_evidence(fail("a binding call was seen, but the thread may still run on CPUs " + wide_masks.front() +
                              ": bind it to one CPU"));
  }
  std::set<int> cpus;
  std::vector<std::string> first_on_cpu;
  for (const auto& t : view.run().threads) {
    const auto* started = first_waking(view, t.pid, 0, view.run().loader_pid);
    if (!started) {
      continue; // never woken: it never ran the module's code
    }
    std::uint64_t from = started->ts_ns;
    bool bound_itself = false;
    for (const auto& b : bindings) {
      if (b.by_loader && b.call->ts_ns > started->ts_ns) {
        Verdict v = fail(
          "the thread was bound (" + b.call->field("func") + " from " + b.call->field("parent") +
          ") only after wake_up_process() had started it, so until then it ran on any CPU. Bind between kthread_create() and wake_up_process(), or use kthread_create_on_cpu()");
        add_evidence(v, describe(*started));
        return with_evidence(v);
      }
      if (!b.by_loader && b.call->pid == t.pid && !bound_itself) {
        const auto* moved = first_waking(view, t.pid, b.call->ts_ns, 0);
        from = std::max(from, moved ? moved->ts_ns : b.call->ts_ns);
        bound_itself = true;
      }
    }
    for (const auto& se : view.events()) {
      const auto& ev = se.event;
      if (ev.pid == t.pid && ev.ts_ns > from && cpus.insert(ev.cpu).second) {
        first_on_cpu.push_back(describe(ev));
      }
    }
  }
  std::vector<std::string> cpu_list;
  for (int c : cpus) {
    cpu_list.push_back(std::to_string(c));
  }
  if (cpus.size() > 1) {
    Verdict v =
      fail("a binding call was seen, but after it took effect the thread still ran on CPUs " + join(cpu_list, ", "));
    for (const auto& line : first_on_cpu) {
      add_evidence(v, line);
    }
    return with_evidence(v);
  }
  return with_evidence(
    pass(cpus.empty()
           ? "the thread is bound to one CPU"
           : "the thread is bound to one CPU; from the moment the binding took effect all its events ran on CPU " +
               join(cpu_list, ", ")));
}

Verdict check_clean_unload(const ModuleEvidence& e, const LabFacts& facts)
{
  auto loaded = loaded_views(e, facts, CrashGate::observe);
  if (auto* v = std::get_if<Verdict>(&loaded)) {
    return *v;
  }
  for (const auto& view : std::get<std::vector<RunView>>(loaded)) {
    const auto& run = view.run();
    auto trouble = view.trouble_lines();
    if (!trouble.empty()) {
      Verdict v = fail("with " + view.label() + " the kernel reported a problem: " + trouble.front());
      for (const auto& line : trouble) {
        add_evidence(v, line);
      }
      return v;
    }
    if (!run.rmmod.ok) {
      Verdict v = fail("rmmod after the load with " + view.label() + " failed: " + run.rmmod.error);
      return v;
    }
    if (!run.left_behind.empty()) {
      const auto& path = run.left_behind.front();
      Verdict v = fail(path + " is still there after rmmod (" + view.label() + "): remove it in the exit function" +
                       (path.rfind("/proc/", 0) == 0 ? " (proc_remove() or remove_proc_subtree())" : "") +
                       "; the next insmod fails while it is there, and opening it runs code that is gone");
      for (const auto& left : run.left_behind) {
        add_evidence(v, left + " was still there after rmmod");
      }
      return v;
    }
    std::set<int> exited;
    for (const auto& se : view.events()) {
      if (se.event.name == "sched_process_exit") {
        exited.insert(se.event.pid);
      }
    }
    for (const auto& t : run.threads) {
      if (!t.exited && !exited.count(t.pid)) {
        return fail("after rmmod (" + view.label() + ") thread " + t.comm + " (pid " + std::to_string(t.pid) +
                    ") is still alive: stop it with kthread_stop() in the exit function");
      }
    }
  }
  Verdict v = pass("every load unloaded cleanly: rmmod succeeded, the threads exited, the kernel reported no problem");
  add_evidence(v, std::to_string(e.runs.size()) + " loads checked");
  return v;
}

// Every allocation of the module, as the lab's trace.allocations name them, freed before it
// was unloaded, in every load.
Verdict check_no_leak(const ModuleEvidence& e, const LabFacts& facts)
{
  auto loaded = loaded_views(e, facts);
  if (auto* v = std::get_if<Verdict>(&loaded)) {
    return *v;
  }
  for (const auto& view : std::get<std::vector<RunView>>(loaded)) {
    std::size_t leaked = 0;
    Verdict v;
    for (std::size_t i = 0; i < view.events().size(); ++i) {
      const auto& ev = view.events()[i].event;
      if (module_allocation(view, ev, facts) && !freed_by(view, i, *allocation_kind(ev, facts))) {
        ++leaked;
        add_evidence(v, describe(ev));
      }
    }
    if (leaked) {
      v.status = Status::fail;
      v.message = view.label() + ": " + std::to_string(leaked) +
                  " allocation(s) by the module were never freed: free everything in the exit function at the latest";
      return v;
    }
  }
  return pass("everything the module allocated was freed before it was unloaded");
}

Verdict check_timing(const ModuleEvidence& e, const LabFacts& facts)
{
  auto loaded = thread_views(e, facts);
  if (auto* v = std::get_if<Verdict>(&loaded)) {
    return *v;
  }
  std::vector<std::string> rows;
  std::vector<std::string> problems;
  std::vector<std::string> too_long;
  std::size_t coarse = 0;
  std::size_t timed = 0;
  for (const auto& view : std::get<std::vector<RunView>>(loaded)) {
    const auto value = view.number(facts.timed_param);
    if (std::find(facts.timing_values.begin(), facts.timing_values.end(), value) == facts.timing_values.end()) {
      continue;
    }
    ++timed;
    auto reported = reported_ns(view, facts);
    auto traced = traced_ns(view, facts);
    const std::string at = facts.timed_param + " " + std::to_string(value);
    if (!reported) {
      problems.push_back(at + ": no elapsed time was printed after the work");
      continue;
    }
    rows.push_back(at + ": reported " + std::to_string(*reported) + " ns, traced " +
                   (traced ? std::to_string(*traced) + " ns" : std::string("-")));
    if (!traced) {
      problems.push_back(
        at + ": the trace saw none of the timed allocations, so the reported time measures nothing that happened");
      continue;
    }
    if (*reported % facts.tick_ns == 0) {
      ++coarse;
    }
    if (*reported == 0) {
      problems.push_back(at + ": the reported time is 0");
    } else if (traced && *reported + facts.timing_resolution_ns < *traced) {
      problems.push_back(at + ": reported " + std::to_string(*reported) + " ns is shorter than the " +
                         std::to_string(*traced) + " ns the trace saw for the allocations");
    } else if (traced &&
               *reported > static_cast<std::uint64_t>(*traced * facts.timing_max_ratio) + facts.timing_slack_ns) {
      too_long.push_back(at + ": reported " + std::to_string(*reported) + " ns is far longer than the " +
                         std::to_string(*traced) + " ns the trace saw: time only the allocation and free");
    }
  }
  // One slow run is the sandbox's noise (an interrupt, a cold code path under emulation);
  // most runs too long is the module timing more than its work.
  if (too_long.size() * 2 > timed) {
    problems.insert(problems.end(), too_long.begin(), too_long.end());
  }
  Verdict v;
  if (timed == 0) {
    v = error("none of the timing loads ran");
  } else if (coarse == timed && !rows.empty()) {
    v = fail("every reported time is a multiple of " + std::to_string(facts.tick_ns / 1000000) +
             " ms, one scheduler tick: the clock is too coarse (jiffies). Use ktime_get_ns()");
  } else if (!problems.empty()) {
    v = fail(problems.front());
  } else {
    v = pass("the reported times are plausible against the trace for every timed load");
  }
  for (const auto& p : problems) {
    add_evidence(v, p);
  }
  for (const auto& r : rows) {
    add_evidence(v, r);
  }
  return v;
}

} // namespace

const CheckTable& common_checks()
{
  static const CheckTable k_checks = {
    {"", "build", check_build},
    {"", "license", check_license},
    {"", "param", check_param},
    {"", "default", check_default},
    {"", "thread", check_thread},
    {"", "pinned", check_pinned},
    {"", "clean-unload", check_clean_unload},
    {"", "no-leak", check_no_leak},
    {"", "timing", check_timing},
  };
  return k_checks;
}

Check parameter_value_check(const std::string& check_id)
{
  const auto value = parameter_check_value(check_id);
  if (!value) {
    return nullptr;
  }
  return [value = *value](const ModuleEvidence& e, const LabFacts& facts) {
    return check_reports_value(e, facts, facts.params.front().name + "=" + std::to_string(value), value);
  };
}

std::optional<unsigned long long> parameter_check_value(const std::string& check_id)
{
  return check_id.rfind("param-", 0) == 0 ? observe::parse_number<unsigned long long>(check_id.substr(6))
                                          : std::nullopt;
}

} // namespace kmgrade::evaluate
