#pragma once

#include "evaluate/registry.h"

// The SO2 "list" lab's own check, the one its file cannot say with scenario tests and the
// common checks: that the module changes its list only while it holds a lock.
namespace kmgrade::labs::so2_list {

// The checks by name, for lab files that say "lab_checks": "so2-list".
const evaluate::CheckTable& checks();

} // namespace kmgrade::labs::so2_list
