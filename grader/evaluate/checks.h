#pragma once

#include "evaluate/module_evidence.h"
#include "evaluate/verdict.h"

#include <map>
#include <string>

namespace kmgrade::evaluate {

// A check: a pure function from what was observed of one module to a verdict.
using Check = Verdict (*)(const ModuleEvidence&, const LabFacts&);

// The check called `check_id` ("order", "pinned", ...) for module `module_id`, or nullptr
// when there is none. Per-module checks apply to every module.
Check find_check(const std::string& module_id, const std::string& check_id);

// Runs a check with the gates every check shares: a missing file, a file that did not
// compile, a build only the compatibility header saved. `check_id` must name a check.
Verdict evaluate(const ModuleEvidence& evidence, const LabFacts& facts, const std::string& check_id);

// One row of the timing table: what the module printed, what the trace saw, and what the
// reference module printed for the same objnum (0 when unknown).
struct Measurement
{
  std::string module;
  unsigned objnum = 0;
  std::optional<std::uint64_t> reported_ns;
  std::optional<std::uint64_t> traced_ns;
  std::optional<std::uint64_t> reference_ns;
};

// The time a run's thread reported after its work, and the span the trace saw for the work.
std::optional<std::uint64_t> reported_ns(const RunView& view, const LabFacts& facts);
std::optional<std::uint64_t> traced_ns(const RunView& view, const LabFacts& facts);

// The time a module reported at each of the rubric's timing objnums that it reported one for.
std::map<unsigned, std::uint64_t> reported_times(const ModuleEvidence& evidence, const LabFacts& facts);

// Timing rows for the rubric's timing objnums, the student's beside the reference's times.
std::vector<Measurement> measure(const ModuleEvidence& student, const std::map<unsigned, std::uint64_t>& reference,
                                 const LabFacts& facts);

} // namespace kmgrade::evaluate
