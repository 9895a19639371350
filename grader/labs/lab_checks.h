#pragma once

#include "evaluate/registry.h"

#include <string>
#include <vector>

namespace kmgrade::labs {

// The checks of their own that kmgrade has for the lab named `name` (a lab file's
// "lab_checks"); nullptr when it has none of that name.
const evaluate::CheckTable* lab_checks(const std::string& name);

// The checks of lab_checks(name), or none when `name` is empty or unknown: what a lab file
// with that "lab_checks" adds to the common checks.
const evaluate::CheckTable& own_checks(const std::string& name);

// The names lab_checks knows, for messages.
std::vector<std::string> lab_check_names();

} // namespace kmgrade::labs
