#pragma once

#include "batch/batch.h"
#include "batch/class_files.h"

namespace kmgrade::batch {

// The class summary a batch ends with, on options.summary (nothing when it is null): the
// counts and `seconds` the batch took, the score distribution and most-failed checks of
// files.reports, the similar submissions, who failed and why, where the class files are, and
// how to upload moodle-grades.csv. Throws only what writing to the stream or reading an
// ill-formed report (nlohmann::json::exception) throws.
void print_class_summary(const BatchOptions& options, const BatchResult& result, const ClassFiles& files,
                         double seconds);

} // namespace kmgrade::batch
