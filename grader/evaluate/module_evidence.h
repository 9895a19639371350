#pragma once

#include "build/module_build.h"
#include "evaluate/printed_text.h"
#include "observe/observation.h"
#include "score/rubric.h"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace kmgrade::evaluate {

// All that is known of one student module: where its file came from, its build, and the
// loads the sandbox ran.
struct ModuleEvidence
{
  std::string module_id;                   // "hello"
  std::string file;                        // "hello.c"
  std::string module_name;                 // "kmlab_hello"
  std::optional<std::string> found_at;     // path in the submission; nullopt: missing
  std::optional<build::ModuleBuild> build; // nullopt when the file is missing
  std::vector<observe::ModuleRun> runs;    // in plan order, as many as came back
  // Loads the plan repeated at the timing values so the timing table can give a median: only
  // the measurement reads them, never a check, so the number of repeats cannot change a verdict.
  std::vector<observe::ModuleRun> timing_repeats;
  std::vector<std::string> planned_params;             // every load the plan asked for ("" = default)
  std::map<std::string, std::string> sandbox_failures; // params of a load without result -> why
  // What the reference module's steps gave in each load the lab named: the loads' name ->
  // one result per step. What the transcript checks compare the student's steps with.
  std::map<std::string, std::vector<observe::UserStepResult>> reference_steps;
  std::map<std::string, std::string> named_failures; // name of a named load without result -> why

  // The load the lab named `name`, or nullptr when it did not come back.
  const observe::ModuleRun* named_run(const std::string& name) const;
};

// The facts of the lab a check compares against (from the lab's file and the sandbox).
struct LabFacts
{
  // The lab's parameters with their defaults; the first is the one the parameter checks
  // (param, default, param-N) look for.
  std::vector<score::ParamSpec> params;
  std::map<std::string, long long> numbers; // the lab's own facts, for its own checks ("struct_size")
  // What the module's thread prints, in the lab's words, with its value ("count", 3).
  std::vector<std::pair<std::string, unsigned long long>> printed;
  std::string param_check; // the check that loads with a value of the first parameter ("param-100"); may be empty
  long page_size = 4096;
  std::string timed_param; // the parameter the timing table varies
  std::vector<unsigned> timing_values;
  double timing_max_ratio = 20;
  std::uint64_t timing_slack_ns = 0;
  std::uint64_t timing_resolution_ns = 0;
  std::uint64_t tick_ns = 4000000;
  std::vector<std::string> work_events;
  std::vector<observe::AllocationEvents> allocations; // what the module allocates and frees
  std::vector<score::ForeignEvent> foreign_events;    // events in its threads that are not its work
  // How each transcript check compares the steps' reads: the load's name -> mode.
  std::map<std::string, score::CompareMode> transcript_compare;

  // The lab's fact `name`; 0 when the lab has none of that name (its file is validated
  // against the checks that read them when it is loaded).
  long long number(const std::string& name) const;
};

// One load seen through what checks ask: its parameters, the module's threads, and its
// events in order with repeated blocks expanded.
class RunView
{
public:
  RunView(const observe::ModuleRun& run, const LabFacts& facts);

  const observe::ModuleRun& run() const { return m_run; }
  // The parameters insmod was given, as "name=value" splits them, in order.
  const std::vector<std::pair<std::string, std::string>>& given() const { return m_given; }
  // The value of parameter `name` in this load: given, else the lab's default; 0 when it is
  // not a number.
  unsigned long long number(const std::string& name) const;
  std::string label() const; // "count=5", "no parameter", or "load echo" for a named load
  const std::vector<observe::StreamEvent>& events() const { return m_events; }
  bool is_module_thread(int pid) const { return m_threads.count(pid) > 0; }
  bool has_threads() const { return !m_threads.empty(); }

  // The event `distance` places before index i, through a pointer field's back reference.
  const observe::StreamEvent* referenced(std::size_t i, const std::string& field) const;

  // Does a call_site (or any field) point into the module's code?
  bool from_module(const observe::TraceEvent& ev) const;

  // Console messages: from the module's threads, or from its init function (printed in the
  // context of the task that ran insmod).
  std::vector<const observe::TraceEvent*> thread_messages() const;
  std::vector<const observe::TraceEvent*> init_messages() const;

  // The load's kernel trouble reports (observe::trouble_reports).
  using Trouble = observe::TroubleReport;
  std::vector<Trouble> troubles() const;

  // The first line of each trouble report that is the module's (Oops, WARNING, ...).
  std::vector<std::string> trouble_lines() const;

private:
  const observe::ModuleRun& m_run;
  std::vector<std::pair<std::string, std::string>> m_given;
  std::map<std::string, std::string> m_values;
  std::set<int> m_threads;
  std::vector<observe::StreamEvent> m_events;
};

// Text of a console event without its "[  1.234]" stamp or trailing newline.
std::string message_text(const observe::TraceEvent& ev);

} // namespace kmgrade::evaluate
