#pragma once

#include "evaluate/registry.h"
#include "observe/user_steps.h"
#include "score/rubric.h"

#include <optional>
#include <string>

namespace kmgrade::evaluate {

// The load name N of a "transcript-N" check id; nullopt for any other id.
std::optional<std::string> transcript_check_load(const std::string& check_id);

// "transcript-N": the steps of the load the lab named N gave what the reference module's gave
// in the same load (ModuleEvidence::reference_steps), reads compared as
// LabFacts::transcript_compare says. nullptr when `check_id` is not of that form.
Check transcript_check(const std::string& check_id);

// What a step gave, in a few words: "read \"a\\n\" (2 byte(s))", "failed with EIO (...)", "did not
// return within 2000 ms".
std::string describe_step(const observe::UserStepResult& result, int timeout_ms);

// Why the student's step differs from the reference's, compared by `mode`, or "" when it gave
// the same.
std::string step_difference(const observe::UserStepResult& want, const observe::UserStepResult& got,
                            score::CompareMode mode);

// Bytes as a report may show them: at most `max` of them, between double quotes, with
// printable ASCII as itself, \n, \t, \" and \\ escaped, and every other byte as \xNN, so a
// student's bytes can never break a report or a terminal.
std::string quoted_bytes(const std::string& bytes, std::size_t max = 60);

} // namespace kmgrade::evaluate
