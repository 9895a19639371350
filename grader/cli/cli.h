#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace kmgrade::cli {

// kmgrade's command line: `args` as main receives them (the program's name first). Writes
// what a command prints to `out` and progress and errors to `err`, and returns the exit
// status: 0, 3 (check: a check does not pass), 4 (batch: some students could not be graded),
// 130 (batch: stopped by a signal), 2 for a usage error, 1 when nothing could be done. Never
// throws: every error is turned into its message on `err` and the status.
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

} // namespace kmgrade::cli
