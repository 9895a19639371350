#pragma once

#include "evaluate/registry.h"

#include <optional>
#include <string>

namespace kmgrade::evaluate {

// The checks every lab may use, configured by its file: build, license, param (its first
// parameter is declared with its type), default (loaded without parameters, the module
// prints that parameter's default), thread, pinned, clean-unload, no-leak (every allocation
// of trace.allocations freed by unload), timing (against the trace, at the lab's timing
// values).
const CheckTable& common_checks();

// "param-N": loaded with the lab's first parameter set to N, the module prints N. nullptr
// when `check_id` is not of that form.
Check parameter_value_check(const std::string& check_id);

// N of a "param-N" check id; nullopt for any other id.
std::optional<unsigned long long> parameter_check_value(const std::string& check_id);

} // namespace kmgrade::evaluate
