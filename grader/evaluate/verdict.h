#pragma once

#include <string>
#include <vector>

namespace kmgrade::evaluate {

enum class Status { pass, fail, error, not_run, manual };

const char* to_string(Status status);

// The outcome of one test of a scenario check.
struct TestOutcome
{
  std::string name;                // as the lab (and the course's checker) names it
  std::string printed_as;          // what the course's checker prints for it, when not `name`
  double points = 0;               // its weight in the check
  Status status = Status::not_run; // pass, fail, or error when its load broke
  std::string message;             // what the step gave, when it did not pass
  bool official = false;           // counts toward the course checker's score ...
  bool official_passed = false;    // ... and passes by that checker's own rule
  // Why the course's checker, which runs its tests one after another in one machine, would
  // not get past this test (its shell waits for ever, or dies with the kernel's Oops); "".
  std::string halts_checker;
};

// The outcome of one check: what was seen, and what a student should do about it.
struct Verdict
{
  Status status = Status::not_run;
  std::string message;
  std::vector<std::string> evidence;
  bool on_shimmed_build = false; // graded on a build with the compatibility header
  // A scenario check's tests: the check earns the share of its points its passed tests hold.
  std::vector<TestOutcome> tests;
};

} // namespace kmgrade::evaluate
