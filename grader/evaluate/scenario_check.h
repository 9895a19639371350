#pragma once

#include "evaluate/registry.h"
#include "score/rubric.h"

#include <string>
#include <vector>

namespace kmgrade::evaluate {

// A scenario check: each of `tests` reads one step of a named load (or every read of a file in
// every named load) and decides it as the test expects; the verdict carries every test's
// outcome, so the check earns the share of its points its passed tests hold. A test whose load
// broke (the module crashed, hung, or did not load) is an error, and costs only that test.
Check scenario_check(std::vector<score::ScenarioTest> tests);

// Why `got`, the result of `step`, does not meet `expectation`, or "" when it does. A read
// that failed reads as empty, as `cat f | grep x` sees it; a call that never returned meets
// nothing, as a shell would still be waiting. `reference` is the reference module's result of
// the same step, for same_as_reference; nullptr when there is none.
std::string unmet(const score::StepExpectation& expectation, const observe::UserStep& step,
                  const observe::UserStepResult& got, const observe::UserStepResult* reference);

} // namespace kmgrade::evaluate
