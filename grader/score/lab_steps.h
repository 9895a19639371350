#pragma once

#include "observe/user_steps.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

// The parts of a lab file that act on the sandbox's files, for the lab file's reader
// (score/lab_file.cpp, compiled with the same JSON_DIAGNOSTICS so that errors name the field).
namespace kmgrade::score {

// A module's `removes`: the paths it must have removed once rmmod returns. Throws Error, its
// message starting with `invalid`, when one is not an absolute path in its plain form.
std::vector<std::string> parse_removes(const nlohmann::json& removes, const std::string& module,
                                       const std::string& invalid);

// The steps of a load at `where`. Throws Error naming the step and what is wrong with it.
std::vector<observe::UserStep> parse_steps(const nlohmann::json& steps, const std::string& where);

} // namespace kmgrade::score
