#pragma once

#include "batch/batch.h"
#include "batch/class_files.h"

#include <string>

namespace kmgrade::batch {

// What the class summary tells about the rows kmgrade filled in the TA's worksheet: how many,
// how many of them Moodle had graded already and, when some had, that Moodle's upload may skip
// them without an error (see report::WorksheetRegrade), the option of Moodle's upload form that
// stops it and how to check the upload preview. One or more lines, each ending in "\n".
std::string regrade_text(const report::WorksheetRegrade& regrade);

// The class summary a batch or a merge ends with, on options.summary (nothing when it is
// null): `headline` (the counts, and the time it took), the score distribution and most-failed
// checks of merged.files.reports, the similar submissions, who failed and why, where the class
// files are, and how to upload moodle-grades.csv. Throws only what writing to the stream or
// reading an ill-formed report (nlohmann::json::exception) throws.
void print_class_summary(const BatchOptions& options, const std::string& headline, const MergeResult& merged);

// What a shard's grading ends with, on options.summary (nothing when it is null): its counts
// and time, who failed and why, and how to merge the shards. Throws only what writing to the
// stream throws.
void print_shard_summary(const BatchOptions& options, const ShardResult& result);

} // namespace kmgrade::batch
