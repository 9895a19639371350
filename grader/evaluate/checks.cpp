#include "evaluate/checks.h"

#include "observe/numbers.h"

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>
#include <variant>

namespace kmgrade::evaluate {

using observe::StreamEvent;
using observe::TraceEvent;

namespace {

constexpr std::size_t k_max_evidence = 8;

std::string join(const std::vector<std::string>& parts, const std::string& sep)
{
  std::string out;
  for (const auto& p : parts) {
    out += (out.empty() ? "" : sep) + p;
  }
  return out;
}

std::string quote_message(const TraceEvent& ev)
{
  return "\"" + message_text(ev) + "\" from " + ev.comm + "-" + std::to_string(ev.pid) + " on CPU " +
         std::to_string(ev.cpu);
}

void add_evidence(Verdict& v, const std::string& line)
{
  if (v.evidence.size() < k_max_evidence) {
    v.evidence.push_back(line);
  }
}

Verdict pass(std::string message) { return {Status::pass, std::move(message), {}, false}; }
Verdict fail(std::string message) { return {Status::fail, std::move(message), {}, false}; }
Verdict error(std::string message) { return {Status::error, std::move(message), {}, false}; }

const observe::ModuleRun* find_run(const ModuleEvidence& e, const std::string& params)
{
  for (const auto& r : e.runs) {
    if (r.request.params == params) {
      return &r;
    }
  }
  return nullptr;
}

std::string missing_run_message(const ModuleEvidence& e, const std::string& params)
{
  return "the sandbox returned no result for the load with " + (params.empty() ? "no parameter" : params) +
         (e.sandbox_failures.count(params) ? ": " + e.sandbox_failures.at(params) : std::string());
}

// What an insmod error code usually means for a student's module.
std::string load_error_advice(int code)
{
  switch (code) {
  case ENOENT: return "the module calls a function the kernel does not export (see 'Unknown symbol' in the log)";
  case EEXIST: return "a module of that name is already loaded";
  case ENOEXEC: return "the file is not a valid module for this kernel";
  case EINVAL: return "the kernel rejected the module or a parameter value (see the log)";
  default:
    return "unless the log says otherwise, the module's init function returned -" + std::to_string(code) +
           ": it must return 0 when it succeeds";
  }
}

// The kernel's own words on a load: its trouble reports when it has any, else the log's end.
void add_kernel_lines(Verdict& v, const RunView& view)
{
  const auto& log = view.run().log;
  bool any = false;
  const auto troubles = view.troubles();
  for (std::size_t t = 0; t < troubles.size() && t < 3; ++t) {
    for (std::size_t i = 0; i < troubles[t].lines.size() && i < 3; ++i) {
      add_evidence(v, troubles[t].lines[i]);
      any = true;
    }
  }
  for (std::size_t i = log.size() > 5 ? log.size() - 5 : 0; !any && i < log.size(); ++i) {
    add_evidence(v, log[i].text);
  }
}

// An insmod or rmmod that never returned: nothing after it can be trusted or observed.
std::optional<Verdict> hung_call(const RunView& view)
{
  const auto& r = view.run();
  const auto seconds = std::to_string(r.request.call_timeout_ms / 1000);
  std::optional<Verdict> v;
  if (r.insmod.hung) {
    v = error("insmod " + r.request.module_name + " with " + view.label() + " never returned (still running after " +
              seconds + " s): the init function blocks or loops; it must start the work and return 0");
  } else if (r.rmmod.hung) {
    v = error("rmmod " + r.request.module_name + " after the load with " + view.label() +
              " never returned (still running after " + seconds +
              " s): the exit function blocks, often in kthread_stop() on a thread that never checks "
              "kthread_should_stop()");
  }
  if (v) {
    add_kernel_lines(*v, view);
  }
  return v;
}

// An insmod failure in plain words, with what the kernel said about it.
Verdict load_failure(const RunView& view)
{
  const auto& r = view.run();
  Verdict v = error("insmod " + r.request.module_name + " with " + view.label() + " failed (" + r.insmod.error +
                    "): " + load_error_advice(r.insmod.error_code) + "; nothing could be observed");
  for (const auto& rec : r.log) {
    add_evidence(v, rec.text);
  }
  return v;
}

// An error verdict when the module crashed the kernel during this load (Oops, BUG, lockup,
// stall): what the load shows after that cannot be trusted.
std::optional<Verdict> crashed(const RunView& view)
{
  using observe::KernelTrouble;
  std::optional<Verdict> v;
  for (const auto& t : view.troubles()) {
    if (t.from_module && (t.kind == KernelTrouble::oops || t.kind == KernelTrouble::bug || observe::is_stall(t.kind))) {
      if (!v) {
        v = error("the module crashed the kernel during the load with " + view.label() + " (" +
                  observe::to_string(t.kind) + "), so this could not be observed; see clean-unload");
      }
      add_evidence(*v, t.lines.front());
    }
  }
  return v;
}

enum class CrashGate { error, observe };

// Why a load cannot be looked at: the module did not load, insmod or rmmod never returned,
// or (unless the check is about crashes) the module crashed the kernel during it.
std::optional<Verdict> unusable(const RunView& view, CrashGate gate)
{
  if (auto v = hung_call(view)) {
    return v;
  }
  if (!view.run().insmod.ok) {
    return load_failure(view);
  }
  return gate == CrashGate::error ? crashed(view) : std::nullopt;
}

// Every load of the plan as a view, or the verdict that says why they cannot all be looked
// at: a load that did not come back from the sandbox, a module that did not load, or (unless
// the check is about crashes) a load during which the module crashed the kernel.
std::variant<std::vector<RunView>, Verdict> loaded_views(const ModuleEvidence& e, const LabFacts& facts,
                                                         CrashGate gate = CrashGate::error)
{
  // What went wrong in a load that ran says more than the loads that could not run after it.
  std::vector<RunView> views;
  for (const auto& run : e.runs) {
    views.emplace_back(run, facts.default_objnum);
    if (auto v = unusable(views.back(), gate)) {
      return *v;
    }
  }
  for (const auto& params : e.planned_params) {
    if (!find_run(e, params)) {
      return error(missing_run_message(e, params));
    }
  }
  return views;
}

// Every load, for a check that watches the work of the module's thread: in a load where the
// module started none there is nothing for it to see, and that fault is thread's and pinned's.
std::variant<std::vector<RunView>, Verdict> thread_views(const ModuleEvidence& e, const LabFacts& facts)
{
  auto loaded = loaded_views(e, facts);
  if (auto* views = std::get_if<std::vector<RunView>>(&loaded)) {
    for (const auto& view : *views) {
      if (!view.has_threads()) {
        return Verdict{Status::not_run,
                       "not run: with " + view.label() +
                         " the module started no kernel thread, whose work this check watches (see thread)",
                       {},
                       false};
      }
    }
  }
  return loaded;
}

// The kernel's line saying it ignored the load's objnum=N (the module has no parameter of
// that name), or nullptr.
const observe::LogRecord* ignored_param(const RunView& view)
{
  for (const auto& rec : view.run().log) {
    if (rec.text.find("unknown parameter 'objnum' ignored") != std::string::npos) {
      return &rec;
    }
  }
  return nullptr;
}

// A load whose objnum the kernel ignored shows what the module does with its default, not
// how it handles the value: param-100 takes that fault, the work checks leave the load out.
std::string ungraded_note(const std::vector<std::string>& ignored)
{
  return ignored.empty() ? std::string()
                         : "; not graded: the loads with " + join(ignored, ", ") +
                             ", whose objnum the kernel ignored (see param-100)";
}

// slub_debug records who allocated each object in its stack depot, which grows by order-2
// pages taken with __GFP_NOWARN alone, in whatever task called kmalloc: the kernel's page,
// not the module's.
bool stack_depot_page(const TraceEvent& ev)
{
  const auto& gfp = ev.field("gfp_flags");
  return ev.name == "mm_page_alloc" && ev.field("order") == "2" &&
         (gfp == "__GFP_NOWARN" || gfp == "GFP_NOWAIT|__GFP_NOWARN");
}

// A page the module's thread allocated for the module.
bool module_page_alloc(const RunView& view, const TraceEvent& ev)
{
  return ev.name == "mm_page_alloc" && view.is_module_thread(ev.pid) && !stack_depot_page(ev);
}

// The event at index i is the work of the module's thread. A page free counts only when it
// returns pages the thread allocated: RCU callbacks that run in the thread's context on an
// interrupt, at any moment of its life, free the kernel's slab pages under its name.
bool is_work_event(const RunView& view, std::size_t i, const LabFacts& facts)
{
  const auto& ev = view.events()[i].event;
  if (!view.is_module_thread(ev.pid) || stack_depot_page(ev) ||
      std::find(facts.work_events.begin(), facts.work_events.end(), ev.name) == facts.work_events.end()) {
    return false;
  }
  if (ev.name == "mm_page_free") {
    const auto* alloc = view.referenced(i, "pfn");
    return alloc && module_page_alloc(view, alloc->event);
  }
  return ev.field("call_site").empty() || view.from_module(ev);
}

// ---- per-module checks -------------------------------------------------------------

Verdict check_build(const ModuleEvidence& e, const LabFacts&)
{
  const auto& b = *e.build;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
  for (const auto& d : b.diagnostics) {
    std::string line = d.file + ":" + std::to_string(d.line) + ":" + std::to_string(d.column) + ": " + d.severity +
                       ": " + d.message;
    (d.severity == "error" ? errors : warnings).push_back(line);
  }
  Verdict v;
  if (b.ok) {
    v = pass(e.file + " compiled against the sandbox kernel's headers" +
             (warnings.empty() ? std::string() : " with " + std::to_string(warnings.size()) + " warning(s)"));
  } else if (!b.stopped.empty()) {
    v = fail(e.file + " did not compile: the build was stopped because " + b.stopped);
  } else if (b.shimmed) {
    v = fail(e.file + " does not compile on Linux " + "6.x: it uses " + join(b.removed_apis, ", ") +
             ", removed from current kernels (use ktime_get_ns() or ktime_get_real_ts64() and struct timespec64). "
             "The other checks were graded on a build with a compatibility header");
  } else {
    std::string why = errors.empty() ? "see the build log" : std::to_string(errors.size()) + " error(s)";
    if (errors.empty() && b.log.find("missing MODULE_LICENSE") != std::string::npos) {
      why = "MODULE_LICENSE is missing (modpost refuses the module)";
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

Verdict check_param(const ModuleEvidence& e, const LabFacts&)
{
  std::vector<std::string> declared;
  for (const auto& [name, type] : e.build->info.params) {
    declared.push_back(name + ":" + type);
    if (name == "objnum") {
      Verdict v = type == "uint" ? pass("parameter objnum of type uint")
                                 : fail("parameter objnum is declared as " + type +
                                        ", not as an unsigned int: use module_param(objnum, uint, 0444)");
      add_evidence(v, "modinfo parmtype=objnum:" + type);
      return v;
    }
  }
  Verdict v = fail(declared.empty() ? "the module declares no parameter: add module_param(objnum, uint, 0444)"
                                    : "no parameter named objnum (declared: " + join(declared, ", ") +
                                        "): the lab loads the module with objnum=N");
  for (const auto& d : declared) {
    add_evidence(v, "modinfo parmtype=" + d);
  }
  return v;
}

// The first message of the module that mentions `number`: one of its thread's, else one its
// init function printed (in the context of the task that ran insmod).
const TraceEvent* module_message_with(const RunView& view, unsigned long long number)
{
  for (const auto& messages : {view.thread_messages(), view.init_messages()}) {
    for (const auto* ev : messages) {
      if (mentions_number(message_text(*ev), number)) {
        return ev;
      }
    }
  }
  return nullptr;
}

void add_module_messages(Verdict& v, const RunView& view)
{
  for (const auto& messages : {view.thread_messages(), view.init_messages()}) {
    for (const auto* ev : messages) {
      add_evidence(v, quote_message(*ev));
    }
  }
}

// The module reports `expected` when loaded with `params`.
Verdict check_reports_objnum(const ModuleEvidence& e, const std::string& params, unsigned expected)
{
  const auto* run = find_run(e, params);
  if (!run) {
    return error(missing_run_message(e, params));
  }
  RunView view(*run, expected);
  if (auto v = unusable(view, CrashGate::error)) {
    return *v;
  }
  if (const auto* rec = ignored_param(view)) {
    Verdict v = fail("the module has no parameter named objnum: the kernel ignored " + params);
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
  return check_reports_objnum(e, "", facts.default_objnum);
}

Verdict check_param_100(const ModuleEvidence& e, const LabFacts&)
{
  return check_reports_objnum(e, "objnum=100", 100);
}

// The default load, or the verdict that explains why it cannot be looked at.
std::variant<RunView, Verdict> default_view(const ModuleEvidence& e, const LabFacts& facts)
{
  const auto* run = find_run(e, "");
  if (!run) {
    return error(missing_run_message(e, ""));
  }
  RunView view(*run, facts.default_objnum);
  if (auto v = unusable(view, CrashGate::error)) {
    return *v;
  }
  return view;
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
    Verdict v = fail("the module started no kernel thread: create one with kthread_create() in the init function, "
                     "and print and do the work there");
    add_module_messages(v, view);
    return v;
  }
  std::vector<std::string> from_init;
  Verdict v;
  for (const auto& [what, number] : {std::pair{std::string("objnum"), facts.default_objnum},
                                     std::pair{std::string("the struct size"), facts.struct_size}}) {
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
  v = pass("the messages and the work come from kernel thread " + thread.comm + " (pid " +
           std::to_string(thread.pid) + "), created by the module");
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
      Verdict v = fail("kthread_bind was called after the thread had started: the kernel warned and did not bind "
                       "it. Bind between kthread_create() and wake_up_process(), or use kthread_create_on_cpu()");
      add_evidence(v, rec.text);
      return v;
    }
  }
  const auto bindings = binding_calls(view);
  std::vector<std::string> evidence;
  for (const auto& b : bindings) {
    evidence.push_back(b.call->field("func") + " called from " + b.call->field("parent") + " by " + b.call->comm +
                       "-" + std::to_string(b.call->pid));
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
    return with_evidence(fail("the thread is not pinned: no kthread_bind(), kthread_create_on_cpu() or "
                              "set_cpus_allowed_ptr() call was seen"));
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
        Verdict v = fail("the thread was bound (" + b.call->field("func") + " from " + b.call->field("parent") +
                         ") only after wake_up_process() had started it, so until then it ran on any CPU. Bind "
                         "between kthread_create() and wake_up_process(), or use kthread_create_on_cpu()");
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
    Verdict v = fail("a binding call was seen, but after it took effect the thread still ran on CPUs " +
                     join(cpu_list, ", "));
    for (const auto& line : first_on_cpu) {
      add_evidence(v, line);
    }
    return with_evidence(v);
  }
  return with_evidence(pass(cpus.empty() ? "the thread is bound to one CPU"
                                         : "the thread is bound to one CPU; from the moment the binding took effect "
                                           "all its events ran on CPU " + join(cpu_list, ", ")));
}

Verdict check_struct_size(const ModuleEvidence& e, const LabFacts& facts)
{
  auto got = default_view(e, facts);
  if (auto* v = std::get_if<Verdict>(&got)) {
    return *v;
  }
  const auto& view = std::get<RunView>(got);
  if (const auto* ev = module_message_with(view, facts.struct_size)) {
    Verdict v = pass("the module reported the struct size, " + std::to_string(facts.struct_size) + " bytes" +
                     (view.is_module_thread(ev->pid) ? "" : " (from its init function, see thread)"));
    add_evidence(v, quote_message(*ev));
    return v;
  }
  Verdict v = fail("no message of the module contains the struct size " + std::to_string(facts.struct_size) +
                   " (8 unsigned ints): print sizeof(struct ...) from the thread");
  add_module_messages(v, view);
  return v;
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
    if (std::find(facts.timing_objnums.begin(), facts.timing_objnums.end(), view.objnum()) ==
        facts.timing_objnums.end()) {
      continue;
    }
    ++timed;
    auto reported = reported_ns(view, facts);
    auto traced = traced_ns(view, facts);
    std::string objnum = "objnum " + std::to_string(view.objnum());
    if (!reported) {
      problems.push_back(objnum + ": no elapsed time was printed after the work");
      continue;
    }
    rows.push_back(objnum + ": reported " + std::to_string(*reported) + " ns, traced " +
                   (traced ? std::to_string(*traced) + " ns" : std::string("-")));
    if (!traced) {
      problems.push_back(objnum + ": the trace saw none of the timed allocations, so the reported time measures "
                                  "nothing that happened");
      continue;
    }
    if (*reported % facts.tick_ns == 0) {
      ++coarse;
    }
    if (*reported == 0) {
      problems.push_back(objnum + ": the reported time is 0");
    } else if (traced && *reported + facts.timing_resolution_ns < *traced) {
      problems.push_back(objnum + ": reported " + std::to_string(*reported) + " ns is shorter than the " +
                         std::to_string(*traced) + " ns the trace saw for the allocations");
    } else if (traced && *reported > static_cast<std::uint64_t>(*traced * facts.timing_max_ratio) +
                                        facts.timing_slack_ns) {
      too_long.push_back(objnum + ": reported " + std::to_string(*reported) + " ns is far longer than the " +
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

// ---- page_alloc ----------------------------------------------------------------------

std::vector<std::size_t> thread_page_allocs(const RunView& view)
{
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < view.events().size(); ++i) {
    const auto& ev = view.events()[i].event;
    if (module_page_alloc(view, ev)) {
      out.push_back(i);
    }
  }
  return out;
}

// Index of the event that freed the allocation at index `alloc`, if any.
std::optional<std::size_t> freed_by(const RunView& view, std::size_t alloc, const std::string& free_event,
                                    const std::string& field)
{
  for (std::size_t i = alloc + 1; i < view.events().size(); ++i) {
    if (view.events()[i].event.name == free_event && view.referenced(i, field) == &view.events()[alloc]) {
      return i;
    }
  }
  return std::nullopt;
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
    unsigned want = expected_order(view.objnum(), facts.page_size, facts.struct_size);
    auto allocs = thread_page_allocs(view);
    std::string objnum = "objnum " + std::to_string(view.objnum());
    if (allocs.size() != 1) {
      if (bad.message.empty()) {
        bad = fail(objnum + ": expected exactly one alloc_pages() from the thread, saw " +
                   std::to_string(allocs.size()));
        for (const auto& rec : run.log) {
          if (rec.text.find("WARNING:") == 0 && rec.text.find("mm/page_alloc.c") != std::string::npos) {
            bad.message += "; the kernel refused the allocation with a warning, as it does for an order above " +
                           std::to_string(facts.max_order) + ": compute the order from the number of pages, not bytes";
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
      const unsigned long per_page = static_cast<unsigned long>(facts.page_size) / facts.struct_size;
      bad = fail(objnum + ": alloc_pages order " + std::to_string(got) + ", expected " + std::to_string(want) + " (" +
                 std::to_string(view.objnum()) + " structs of " + std::to_string(facts.struct_size) +
                 " bytes need " + std::to_string((view.objnum() + per_page - 1) / per_page) +
                 " page(s)): compute the order from objnum and PAGE_SIZE");
    }
    if (got != want) {
      add_evidence(bad, objnum + ": " + describe(ev));
    }
    if (ev.field("gfp_flags").find("GFP_KERNEL") == std::string::npos && bad.message.empty()) {
      bad = fail(objnum + ": alloc_pages was called with " + ev.field("gfp_flags") + ", the lab asks for GFP_KERNEL");
      add_evidence(bad, describe(ev));
    }
    seen.push_back("order " + std::to_string(got) + " for objnum " + std::to_string(view.objnum()));
  }
  if (!bad.message.empty()) {
    return bad;
  }
  Verdict v = pass(join(seen, "; ") + ungraded_note(ignored));
  for (const auto& view : std::get<std::vector<RunView>>(loaded)) {
    if (ignored_param(view)) {
      continue;
    }
    for (auto i : thread_page_allocs(view)) {
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
    auto allocs = thread_page_allocs(view);
    if (allocs.empty()) {
      return fail("objnum " + std::to_string(view.objnum()) + ": the thread allocated no pages, so none were freed");
    }
    for (auto i : allocs) {
      const auto& alloc = view.events()[i].event;
      auto f = freed_by(view, i, "mm_page_free", "pfn");
      if (!f) {
        Verdict v = fail("objnum " + std::to_string(view.objnum()) + ": the pages from alloc_pages were never "
                         "freed: call __free_pages() with the same page and order");
        add_evidence(v, describe(alloc));
        return v;
      }
      const auto& fr = view.events()[*f].event;
      if (fr.field("order") != alloc.field("order")) {
        Verdict v = fail("objnum " + std::to_string(view.objnum()) + ": pages allocated with order " +
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
Verdict check_no_leak(const ModuleEvidence& e, const LabFacts& facts)
{
  auto loaded = loaded_views(e, facts);
  if (auto* v = std::get_if<Verdict>(&loaded)) {
    return *v;
  }
  static const std::map<std::string, std::pair<std::string, std::string>> k_pairs = {
    {"mm_page_alloc", {"mm_page_free", "pfn"}},
    {"kmalloc", {"kfree", "ptr"}},
    {"kmem_cache_alloc", {"kmem_cache_free", "ptr"}}};
  for (const auto& view : std::get<std::vector<RunView>>(loaded)) {
    std::size_t leaked = 0;
    Verdict v;
    for (std::size_t i = 0; i < view.events().size(); ++i) {
      const auto& ev = view.events()[i].event;
      auto pair = k_pairs.find(ev.name);
      if (pair == k_pairs.end()) {
        continue;
      }
      const bool mine = ev.name == "mm_page_alloc" ? module_page_alloc(view, ev) : view.from_module(ev);
      if (mine && !freed_by(view, i, pair->second.first, pair->second.second)) {
        ++leaked;
        add_evidence(v, describe(ev));
      }
    }
    if (leaked) {
      v.status = Status::fail;
      v.message = "objnum " + std::to_string(view.objnum()) + ": " + std::to_string(leaked) +
                  " allocation(s) by the module were never freed";
      return v;
    }
  }
  return pass("everything the module allocated was freed before it was unloaded");
}

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
        if (ev.field("bytes_req") != std::to_string(facts.struct_size) && !first_problem) {
          first_problem = "an allocation of " + ev.field("bytes_req") + " bytes, expected " +
                          std::to_string(facts.struct_size) + " (one struct)";
        }
        open = i;
      } else if (ev.name == free_name) {
        ++frees;
        if (open != k_none && view.referenced(i, "ptr") == &view.events()[open]) {
          ++paired;
          open = k_none;
        }
        if (!cache_name.empty() && free_name == "kmem_cache_free" && ev.field("name") != cache_name &&
            !first_problem) {
          first_problem = "objects were freed to cache " + ev.field("name") + ", not to " + cache_name;
        }
        if (evidence.size() < 3) {
          evidence.push_back(describe(ev));
        }
      }
    }
    std::string objnum = "objnum " + std::to_string(view.objnum());
    if (allocs != view.objnum() && !first_problem) {
      first_problem = std::to_string(allocs) + " " + alloc_name + " calls from the thread, expected " +
                      std::to_string(view.objnum());
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
    seen.push_back(std::to_string(allocs) + " for objnum " + std::to_string(view.objnum()));
  }
  return pass(alloc_name + "/" + free_name + " pairs from the thread: " + join(seen, ", ") + ungraded_note(ignored));
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
    for (auto i : thread_page_allocs(view)) {
      const auto& ev = view.events()[i].event;
      // Compound pages are the slab allocator refilling kmalloc's caches, not the module.
      if (ev.field("gfp_flags").find("__GFP_COMP") != std::string::npos) {
        continue;
      }
      if (ev.field("order") != "0" && !ev.field("order").empty()) {
        Verdict v = fail("objnum " + std::to_string(view.objnum()) + ": the thread still allocates whole pages "
                         "(order " + ev.field("order") + "); allocate each object with kmalloc instead");
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
    return fail("no new cache appeared in /sys/kernel/slab after insmod: call kmem_cache_create() in the init "
                "function");
  }
  for (const auto& c : run.slab_created) {
    if (c.object_size == static_cast<long>(facts.struct_size)) {
      Verdict v = pass("cache " + c.name + " created for " + std::to_string(c.object_size) + "-byte objects");
      add_evidence(v, "/sys/kernel/slab/" + c.name + "/object_size = " + std::to_string(c.object_size));
      return v;
    }
  }
  const auto& c = run.slab_created.front();
  Verdict v = fail("cache " + c.name + " holds " + std::to_string(c.object_size) + "-byte objects, expected " +
                   std::to_string(facts.struct_size) + ": create it with sizeof(struct ...)");
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
    return {Status::not_run, "not run: the module created no cache (see cache_alloc.cache-create)", {}, false};
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
          se.event.field("bytes_req") == std::to_string(facts.struct_size)) {
        ++count;
        add_evidence(v, describe(se.event));
      }
    }
    if (count) {
      v.status = Status::fail;
      v.message = "objnum " + std::to_string(view.objnum()) + ": the module called kmalloc " + std::to_string(count) +
                  " times for " + std::to_string(facts.struct_size) +
                  "-byte objects: allocate them from the cache with kmem_cache_alloc";
      v.evidence.resize(std::min<std::size_t>(v.evidence.size(), 2));
      return v;
    }
  }
  return pass("no kmalloc of struct-sized objects from the module");
}

struct NamedCheck
{
  const char* module; // "" for every module
  const char* id;
  Check check;
};

constexpr NamedCheck k_checks[] = {
  {"", "build", check_build},
  {"", "license", check_license},
  {"", "param", check_param},
  {"", "default", check_default},
  {"", "param-100", check_param_100},
  {"", "thread", check_thread},
  {"", "pinned", check_pinned},
  {"", "struct-size", check_struct_size},
  {"", "clean-unload", check_clean_unload},
  {"", "timing", check_timing},
  {"page_alloc", "order", check_order},
  {"page_alloc", "free", check_page_free},
  {"page_alloc", "no-leak", check_no_leak},
  {"kmem_alloc", "loop", check_kmalloc_loop},
  {"kmem_alloc", "approach", check_approach},
  {"cache_alloc", "cache-create", check_cache_create},
  {"cache_alloc", "loop", check_cache_loop},
  {"cache_alloc", "cache-destroy", check_cache_destroy},
  {"cache_alloc", "not-kmalloc", check_not_kmalloc},
};

} // namespace

Check find_check(const std::string& module_id, const std::string& check_id)
{
  for (const auto& c : k_checks) {
    if ((c.module[0] == '\0' || module_id == c.module) && check_id == c.id) {
      return c.check;
    }
  }
  return nullptr;
}

Verdict evaluate(const ModuleEvidence& evidence, const LabFacts& facts, const std::string& check_id)
{
  Check check = find_check(evidence.module_id, check_id);
  if (!evidence.found_at || !evidence.build) {
    return check_id == "build" ? fail(evidence.file + " was not found in the submission")
                               : Verdict{Status::not_run, "not run: " + evidence.file + " is missing", {}, false};
  }
  const auto& b = *evidence.build;
  if (!b.ok && !b.shimmed) {
    if (check_id == "build") {
      return check(evidence, facts);
    }
    if (check_id == "license" && b.log.find("missing MODULE_LICENSE") != std::string::npos) {
      return fail("no MODULE_LICENSE in " + evidence.file + ": the kernel build refuses the module; add "
                  "MODULE_LICENSE(\"GPL\")");
    }
    return {Status::not_run, "not run: " + evidence.file + " did not compile", {}, false};
  }
  Verdict v = check(evidence, facts);
  v.on_shimmed_build = b.shimmed && check_id != "build";
  return v;
}

std::optional<std::uint64_t> traced_ns(const RunView& view, const LabFacts& facts)
{
  std::optional<std::uint64_t> first;
  std::optional<std::uint64_t> last;
  for (std::size_t i = 0; i < view.events().size(); ++i) {
    if (is_work_event(view, i, facts)) {
      first = first ? *first : view.events()[i].event.ts_ns;
      last = view.events()[i].event.ts_ns;
    }
  }
  if (!first) {
    return std::nullopt;
  }
  return *last - *first;
}

std::optional<std::uint64_t> reported_ns(const RunView& view, const LabFacts& facts)
{
  std::uint64_t last_work = 0;
  for (std::size_t i = 0; i < view.events().size(); ++i) {
    if (is_work_event(view, i, facts)) {
      last_work = view.events()[i].event.ts_ns;
    }
  }
  // The first message after the work that carries a time; a bare number counts as ns.
  for (bool bare : {false, true}) {
    for (const auto* ev : view.thread_messages()) {
      if (ev->ts_ns < last_work) {
        continue;
      }
      if (auto ns = parse_reported_ns(message_text(*ev), bare)) {
        return ns;
      }
    }
  }
  return std::nullopt;
}

std::optional<std::uint64_t> median(std::vector<std::uint64_t> values)
{
  if (values.empty()) {
    return std::nullopt;
  }
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), middle, values.end());
  if (values.size() % 2 == 1) {
    return *middle;
  }
  const std::uint64_t below = *std::max_element(values.begin(), middle);
  // Halved apart so that two times near the top of the range do not overflow.
  return below / 2 + *middle / 2 + (below % 2 + *middle % 2) / 2;
}

namespace {

// What a module's loads at `objnum` gave: the first successful load of the checks, then
// every successful timing repeat, in plan order.
struct TimesAt
{
  std::vector<std::uint64_t> reported;
  std::vector<std::uint64_t> traced;
};

TimesAt times_at(const ModuleEvidence& e, unsigned objnum, const LabFacts& facts)
{
  TimesAt out;
  auto add = [&](const RunView& view) {
    if (auto ns = reported_ns(view, facts)) {
      out.reported.push_back(*ns);
    }
    if (auto ns = traced_ns(view, facts)) {
      out.traced.push_back(*ns);
    }
  };
  for (const auto& run : e.runs) {
    RunView view(run, facts.default_objnum);
    if (view.objnum() == objnum && run.insmod.ok) {
      add(view);
      break;
    }
  }
  for (const auto& run : e.timing_repeats) {
    RunView view(run, facts.default_objnum);
    if (view.objnum() == objnum && run.insmod.ok) {
      add(view);
    }
  }
  return out;
}

} // namespace

std::map<unsigned, std::vector<std::uint64_t>> reported_times(const ModuleEvidence& evidence, const LabFacts& facts)
{
  std::map<unsigned, std::vector<std::uint64_t>> times;
  for (unsigned objnum : facts.timing_objnums) {
    if (auto at = times_at(evidence, objnum, facts); !at.reported.empty()) {
      times[objnum] = std::move(at.reported);
    }
  }
  return times;
}

std::vector<Measurement> measure(const ModuleEvidence& student, const std::map<unsigned, std::uint64_t>& reference,
                                 const LabFacts& facts)
{
  std::vector<Measurement> rows;
  for (unsigned objnum : facts.timing_objnums) {
    const TimesAt at = times_at(student, objnum, facts);
    Measurement m;
    m.module = student.module_id;
    m.objnum = objnum;
    m.reported_ns = median(at.reported);
    m.traced_ns = median(at.traced);
    m.runs = static_cast<unsigned>(at.reported.size());
    if (auto found = reference.find(objnum); found != reference.end()) {
      m.reference_ns = found->second;
    }
    rows.push_back(m);
  }
  return rows;
}

} // namespace kmgrade::evaluate
