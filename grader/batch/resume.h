#pragma once

#include "intake/moodle.h"
#include "pipeline/grade.h"
#include "score/rubric.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kmgrade::batch {

// What a report was graded from. A report is reused only when every part is the current one.
struct ResumeKey
{
  std::string grader_version;
  std::string rubric_sha256;
  std::string submission_sha256;
  pipeline::GraderIdentity identity;

  bool operator==(const ResumeKey&) const = default;
};

// The key a report records; nullopt when it lacks a part (a report of an older kmgrade, or
// not a report): such a report is graded again.
std::optional<ResumeKey> resume_key(const nlohmann::json& report);

// Where a batch writes the report of student `id`: out_dir/reports/<id>.json. Cannot fail.
std::filesystem::path report_path(const std::filesystem::path& out_dir, const std::string& id);

// The students of a class a batch grades, and how many it does not.
struct Roster
{
  std::vector<const intake::Student*> to_grade; // into the `students` given, in their order
  std::size_t unchanged = 0;                    // their report's resume key is the current one
};

// Every student when `regrade`; otherwise each student whose report in out_dir/reports is
// missing, unreadable, or of another resume key than the current one (this kmgrade, `rubric`,
// `identity` and the student's files, unpacked under `scratch` to be hashed, then removed).
// A submission that cannot be read is graded, and fails there with its reason. Cannot fail.
Roster students_to_grade(const std::vector<intake::Student>& students, const score::Rubric& rubric,
                         const pipeline::GraderIdentity& identity, const std::filesystem::path& out_dir, bool regrade,
                         const std::filesystem::path& scratch);

} // namespace kmgrade::batch
