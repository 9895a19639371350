#pragma once

#include <string>
#include <vector>

namespace kmgrade::evaluate {

enum class Status { pass, fail, error, not_run, manual };

const char* to_string(Status status);

// The outcome of one check: what was seen, and what a student should do about it.
struct Verdict
{
  Status status = Status::not_run;
  std::string message;
  std::vector<std::string> evidence;
  bool on_shimmed_build = false; // graded on a build with the compatibility header
};

} // namespace kmgrade::evaluate
