#pragma once

#include "report/report.h"

#include <set>
#include <string>
#include <vector>

namespace kmgrade::report {

// One module of the lab as a student checks it.
struct StudentModule
{
  std::string id;      // "hello"
  std::string file;    // "hello.c"
  bool checked = true; // false: left out with --module
};

struct StudentViewOptions
{
  bool color = false;
  bool verbose = false; // the kernel's evidence under each check that did not pass
};

// What `kmgrade check` prints above its table of times: per module, whether every check
// passes, or each one that does not with what to do about it; a module whose file is not there
// is "not written yet".
std::string student_view(const Report& report, const std::vector<StudentModule>& modules,
                         const StudentViewOptions& options);

// Whether every automatic check of the checked modules that were written passes: the exit
// status of `kmgrade check`.
bool all_checks_pass(const Report& report, const std::vector<StudentModule>& modules);

} // namespace kmgrade::report
