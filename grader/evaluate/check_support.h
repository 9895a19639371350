#pragma once

#include "evaluate/module_evidence.h"
#include "evaluate/verdict.h"

#include <cstddef>
#include <optional>
#include <string>
#include <variant>
#include <vector>

// What every check is made of: verdicts with evidence, the loads of a module as views, and
// the gates that say why a load cannot be looked at.
namespace kmgrade::evaluate {

std::string join(const std::vector<std::string>& parts, const std::string& sep);

// A console message as evidence: the module's words, quoted, with who printed them.
std::string quote_message(const observe::TraceEvent& ev);

// Adds a line of evidence; a verdict keeps the first few and counts the rest.
void add_evidence(Verdict& v, const std::string& line);

Verdict pass(std::string message);
Verdict fail(std::string message);
Verdict error(std::string message);

// The load of the checks with `params` ("" for none), or nullptr when it did not come back.
const observe::ModuleRun* find_run(const ModuleEvidence& e, const std::string& params);

// Why the load with `params` has no result: what the sandbox said, or that it never ran.
std::string missing_run_message(const ModuleEvidence& e, const std::string& params);

// Whether a check can look at a load in which the module crashed the kernel: only the
// checks about crashes (observe) can.
enum class CrashGate { error, observe };

// Why a load cannot be looked at: the module did not load, insmod or rmmod never returned,
// or (unless `gate` is observe) the module crashed the kernel during it; nullopt when it can.
std::optional<Verdict> unusable(const RunView& view, CrashGate gate);

// Every load of the plan as a view, or the verdict that says why they cannot all be looked
// at: a load that did not come back from the sandbox, a module that did not load, or (unless
// the check is about crashes) a load during which the module crashed the kernel.
std::variant<std::vector<RunView>, Verdict> loaded_views(const ModuleEvidence& e, const LabFacts& facts,
                                                         CrashGate gate = CrashGate::error);

// Every load, for a check that watches the work of the module's thread: a not_run verdict
// when a load started no thread (there is nothing to see, and that fault is thread's).
std::variant<std::vector<RunView>, Verdict> thread_views(const ModuleEvidence& e, const LabFacts& facts);

// The load without parameters, or the verdict that explains why it cannot be looked at.
std::variant<RunView, Verdict> default_view(const ModuleEvidence& e, const LabFacts& facts);

// The kernel's line saying it ignored one of the load's parameters (the module has no
// parameter of that name), or nullptr.
const observe::LogRecord* ignored_param(const RunView& view);

// "; not graded: the loads with ..." for the loads whose parameter the kernel ignored, or ""
// when there are none.
std::string ungraded_note(const std::vector<std::string>& ignored, const LabFacts& facts);

// An event the kernel makes in the module's thread that is not the module's work (the lab's
// trace.not_the_module: slub_debug's stack depot takes pages in whatever task calls kmalloc).
bool foreign_event(const observe::TraceEvent& ev, const LabFacts& facts);

// The lab's allocation kind `ev` allocates, or nullptr when it is not one.
const observe::AllocationEvents* allocation_kind(const observe::TraceEvent& ev, const LabFacts& facts);

// Whether `ev` allocates for the module: from its code, or, for a kind that names no
// caller, in its thread (and not a foreign event).
bool module_allocation(const RunView& view, const observe::TraceEvent& ev, const LabFacts& facts);

// Index of the event that freed the allocation at index `alloc` (a `kind.free` event whose
// `kind.key` refers back to it), if any.
std::optional<std::size_t> freed_by(const RunView& view, std::size_t alloc, const observe::AllocationEvents& kind);

// Whether the event at index i of the view is the work of the module's thread: one of the
// lab's work events, from the module's code (a free of a kind that names no caller only of
// what the thread allocated).
bool is_work_event(const RunView& view, std::size_t i, const LabFacts& facts);

// The first message of the module that mentions `number`: one of its thread's, else one its
// init function printed; nullptr when none does.
const observe::TraceEvent* module_message_with(const RunView& view, unsigned long long number);

// Every message of the module (thread's, then init's) as evidence.
void add_module_messages(Verdict& v, const RunView& view);

} // namespace kmgrade::evaluate
