#include "evaluate/check_support.h"

#include <algorithm>
#include <cerrno>
#include <set>

namespace kmgrade::evaluate {

using observe::StreamEvent;
using observe::TraceEvent;

namespace {

constexpr std::size_t k_max_evidence = 8;

// What an insmod error code usually means for a student's module.
std::string load_error_advice(int code)
{
  switch (code) {
    case ENOENT:
      return "the module calls a function the kernel does not export (see 'Unknown symbol' in the log)";
    case EEXIST:
      return "a module of that name is already loaded";
    case ENOEXEC:
      return "the file is not a valid module for this kernel";
    case EINVAL:
      return "the kernel rejected the module or a parameter value (see the log)";
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
    v = error(
      "rmmod " + r.request.module_name + " after the load with " + view.label() +
      " never returned (still running after " + seconds +
      " s): the exit function blocks, often in kthread_stop() on a thread that never checks kthread_should_stop()");
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

} // namespace

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

Verdict pass(std::string message)
{
  return {Status::pass, std::move(message), {}, false, {}};
}
Verdict fail(std::string message)
{
  return {Status::fail, std::move(message), {}, false, {}};
}
Verdict error(std::string message)
{
  return {Status::error, std::move(message), {}, false, {}};
}

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

std::variant<std::vector<RunView>, Verdict> loaded_views(const ModuleEvidence& e, const LabFacts& facts, CrashGate gate)
{
  // What went wrong in a load that ran says more than the loads that could not run after it.
  std::vector<RunView> views;
  for (const auto& run : e.runs) {
    views.emplace_back(run, facts);
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
                       false,
                       {}};
      }
    }
  }
  return loaded;
}

const observe::LogRecord* ignored_param(const RunView& view)
{
  for (const auto& rec : view.run().log) {
    for (const auto& given : view.given()) {
      if (rec.text.find("unknown parameter '" + given.first + "' ignored") != std::string::npos) {
        return &rec;
      }
    }
  }
  return nullptr;
}

// A load whose parameter the kernel ignored shows what the module does with its default,
// not how it handles the value: the parameter's check takes that fault, the work checks
// leave the load out.
std::string ungraded_note(const std::vector<std::string>& ignored, const LabFacts& facts)
{
  const std::string name = facts.params.empty() ? "parameter" : facts.params.front().name;
  return ignored.empty()
           ? std::string()
           : "; not graded: the loads with " + join(ignored, ", ") + ", whose " + name + " the kernel ignored" +
               (facts.param_check.empty() ? "" : " (see " + facts.param_check + ")");
}

bool foreign_event(const TraceEvent& ev, const LabFacts& facts)
{
  return std::any_of(facts.foreign_events.begin(), facts.foreign_events.end(), [&ev](const score::ForeignEvent& f) {
    return f.event == ev.name && std::all_of(f.fields.begin(), f.fields.end(), [&ev](const auto& field) {
             const auto& values = field.second;
             return std::find(values.begin(), values.end(), ev.field(field.first)) != values.end();
           });
  });
}

const observe::AllocationEvents* allocation_kind(const TraceEvent& ev, const LabFacts& facts)
{
  for (const auto& kind : facts.allocations) {
    if (kind.alloc == ev.name) {
      return &kind;
    }
  }
  return nullptr;
}

bool module_allocation(const RunView& view, const TraceEvent& ev, const LabFacts& facts)
{
  const auto* kind = allocation_kind(ev, facts);
  if (!kind) {
    return false;
  }
  return kind->by_thread ? view.is_module_thread(ev.pid) && !foreign_event(ev, facts) : view.from_module(ev);
}

std::optional<std::size_t> freed_by(const RunView& view, std::size_t alloc, const observe::AllocationEvents& kind)
{
  for (std::size_t i = alloc + 1; i < view.events().size(); ++i) {
    if (view.events()[i].event.name == kind.free && view.referenced(i, kind.key) == &view.events()[alloc]) {
      return i;
    }
  }
  return std::nullopt;
}

// The event at index i is the work of the module's thread. A free of a kind that names no
// caller counts only when it returns what the thread allocated: RCU callbacks that run in the
// thread's context on an interrupt, at any moment of its life, free the kernel's slab pages
// under its name.
bool is_work_event(const RunView& view, std::size_t i, const LabFacts& facts)
{
  const auto& ev = view.events()[i].event;
  if (!view.is_module_thread(ev.pid) || foreign_event(ev, facts) ||
      std::find(facts.work_events.begin(), facts.work_events.end(), ev.name) == facts.work_events.end()) {
    return false;
  }
  for (const auto& kind : facts.allocations) {
    if (kind.by_thread && kind.free == ev.name) {
      const auto* alloc = view.referenced(i, kind.key);
      return alloc && module_allocation(view, alloc->event, facts);
    }
  }
  return ev.field("call_site").empty() || view.from_module(ev);
}

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

std::variant<RunView, Verdict> default_view(const ModuleEvidence& e, const LabFacts& facts)
{
  const auto* run = find_run(e, "");
  if (!run) {
    return error(missing_run_message(e, ""));
  }
  RunView view(*run, facts);
  if (auto v = unusable(view, CrashGate::error)) {
    return *v;
  }
  return view;
}

} // namespace kmgrade::evaluate
