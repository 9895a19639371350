#pragma once

#include "evaluate/registry.h"

#include <map>
#include <string>

namespace kmgrade::labs {

// The checks of each folder of grader/labs/, by the folder's name: the build generates this
// table from the folders, so adding a lab's checks needs no edit here. Each folder's
// checks.h declares kmgrade::labs::<name>::checks(), the name's '-' written '_'.
const std::map<std::string, const evaluate::CheckTable& (*)()>& known_lab_checks();

} // namespace kmgrade::labs
