#pragma once

#include "evaluate/module_evidence.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kmgrade::evaluate {

// What one successful load at a timing value gave: the time the module printed and the span
// the trace saw, each absent when that load did not give it.
struct RunTimes
{
  std::optional<std::uint64_t> reported_ns;
  std::optional<std::uint64_t> traced_ns;
};

// One row of the timing table: what the module printed, what the trace saw, and what the
// reference module printed for the same value of the timed parameter; each the median of
// the loads at that value (the checks' load and its timing repeats), absent when no load gave it.
struct Measurement
{
  std::string module;
  std::string param;  // the lab's timed parameter ("count")
  unsigned value = 0; // its value in these loads
  std::optional<std::uint64_t> reported_ns;
  std::optional<std::uint64_t> traced_ns;
  std::optional<std::uint64_t> reference_ns;
  unsigned runs = 0;              // the student's loads whose printed times reported_ns is the median of
  std::vector<RunTimes> each_run; // every successful load of the student's at this value, in plan order
};

// The middle one of `values`, or the mean of the two middle ones when their number is even
// (rounded down); nullopt when there are none.
std::optional<std::uint64_t> median(std::vector<std::uint64_t> values);

// The time a run's thread reported after its work, and the span the trace saw for the work.
std::optional<std::uint64_t> reported_ns(const RunView& view, const LabFacts& facts);
std::optional<std::uint64_t> traced_ns(const RunView& view, const LabFacts& facts);

// The times a module reported at each of the lab's timing values, one for each load there
// that reported one: the first successful load of the checks, then its timing repeats in
// plan order. A value without any is absent.
std::map<unsigned, std::vector<std::uint64_t>> reported_times(const ModuleEvidence& evidence, const LabFacts& facts);

// Timing rows for the lab's timing values: the medians of the student's loads beside the
// reference's times.
std::vector<Measurement> measure(const ModuleEvidence& student, const std::map<unsigned, std::uint64_t>& reference,
                                 const LabFacts& facts);

} // namespace kmgrade::evaluate
