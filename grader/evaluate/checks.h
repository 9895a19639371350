#pragma once

#include "evaluate/module_evidence.h"
#include "evaluate/verdict.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

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
// reference module printed for the same objnum; each the median of the loads at that objnum
// (the checks' load and its timing repeats), absent when no load gave it.
struct Measurement
{
  std::string module;
  unsigned objnum = 0;
  std::optional<std::uint64_t> reported_ns;
  std::optional<std::uint64_t> traced_ns;
  std::optional<std::uint64_t> reference_ns;
  unsigned runs = 0; // the student's loads whose printed times reported_ns is the median of
};

// The middle one of `values`, or the mean of the two middle ones when their number is even
// (rounded down); nullopt when there are none.
std::optional<std::uint64_t> median(std::vector<std::uint64_t> values);

// The time a run's thread reported after its work, and the span the trace saw for the work.
std::optional<std::uint64_t> reported_ns(const RunView& view, const LabFacts& facts);
std::optional<std::uint64_t> traced_ns(const RunView& view, const LabFacts& facts);

// The times a module reported at each of the rubric's timing objnums, one for each load
// there that reported one: the first successful load of the checks, then its timing repeats
// in plan order. An objnum without any is absent.
std::map<unsigned, std::vector<std::uint64_t>> reported_times(const ModuleEvidence& evidence, const LabFacts& facts);

// Timing rows for the rubric's timing objnums: the medians of the student's loads beside the
// reference's times.
std::vector<Measurement> measure(const ModuleEvidence& student, const std::map<unsigned, std::uint64_t>& reference,
                                 const LabFacts& facts);

} // namespace kmgrade::evaluate
