#pragma once

#include "evaluate/module_evidence.h"
#include "evaluate/verdict.h"

#include <functional>
#include <string>
#include <vector>

namespace kmgrade::evaluate {

// A check: a pure function from what was observed of one module to a verdict.
using Check = std::function<Verdict(const ModuleEvidence&, const LabFacts&)>;

// A check by the name a lab file gives it: "<module>.<id>" in its exercises.
struct NamedCheck
{
  std::string module; // "" for every module of the lab
  std::string id;
  Check check;
};

using CheckTable = std::vector<NamedCheck>;

// The check called `check_id` ("order", "pinned", "param-100", ...) for module `module_id`:
// one of `lab_checks` (a lab's own, see labs/lab_checks.h), else one of common_checks().
// Empty when there is none.
Check find_check(const CheckTable& lab_checks, const std::string& module_id, const std::string& check_id);

// Runs `check` (called `check_id`) with the gates every check shares: a missing file, a file
// that did not compile, a build only the compatibility header saved.
Verdict evaluate(const ModuleEvidence& evidence, const LabFacts& facts, const Check& check,
                 const std::string& check_id);

} // namespace kmgrade::evaluate
