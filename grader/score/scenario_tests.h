#pragma once

#include "score/rubric.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

// Reading a scenario check's tests from a lab file. Compiled, as lab_file.cpp, with
// JSON_DIAGNOSTICS, so that an error names the field's whole path.
namespace kmgrade::score {

// A check's "tests": each {"name", "points", "load", "step", "expect"} or, for a test of every
// read of a file, {"name", "points", "every_read_of", "expect"}; with "official_expect",
// "printed_as" and "official" when the lab has a course checker (`official`). Throws Error
// naming `where` and the test when a test names no load or step of `module`, or expects of a
// step what it cannot give.
std::vector<ScenarioTest> parse_scenario_tests(const nlohmann::json& tests, const ModuleSpec& module, bool official,
                                               const std::string& where);

// "contains \"lorem\"", "fails with EIO": what an expectation asks, for messages.
std::string describe(const StepExpectation& expectation);

} // namespace kmgrade::score
