#include "batch/resume.h"

#include "intake/submission.h"
#include "util/files.h"

namespace kmgrade::batch {

namespace fs = std::filesystem;

namespace {

std::string submission_hash(const intake::Student& student, const score::Rubric& rubric, const fs::path& scratch)
{
  auto s = intake::open_submission(student.folder, pipeline::wanted_files(rubric), scratch);
  std::error_code ec;
  fs::remove_all(scratch, ec);
  return s.sha256;
}

bool up_to_date(const fs::path& path, const ResumeKey& current)
{
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return false;
  }
  try {
    return resume_key(nlohmann::json::parse(util::read_file(path))) == current;
  } catch (const nlohmann::json::exception&) {
    return false; // unreadable: grade again
  }
}

} // namespace

std::optional<ResumeKey> resume_key(const nlohmann::json& report)
{
  try {
    const auto& grader = report.at("grader");
    ResumeKey key;
    key.grader_version = grader.at("version").get<std::string>();
    key.rubric_sha256 = grader.at("rubric_sha256").get<std::string>();
    key.submission_sha256 = report.at("submission").at("sha256").get<std::string>();
    key.identity.build_sha256 = grader.at("build_sha256").get<std::string>();
    key.identity.reference_sha256 = grader.at("reference_sha256").get<std::string>();
    key.identity.kernel_sha256 = report.at("environment").at("kernel_sha256").get<std::string>();
    return key;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

fs::path report_path(const fs::path& out_dir, const std::string& id)
{
  return out_dir / "reports" / (id + ".json");
}

Roster students_to_grade(const std::vector<intake::Student>& students, const score::Rubric& rubric,
                         const pipeline::GraderIdentity& identity, const fs::path& out_dir, bool regrade,
                         const fs::path& scratch)
{
  Roster roster;
  for (const auto& s : students) {
    if (regrade) {
      roster.to_grade.push_back(&s);
      continue;
    }
    ResumeKey current{KMGRADE_VERSION, rubric.sha256, "", identity};
    try {
      current.submission_sha256 = submission_hash(s, rubric, scratch / ("hash-" + s.id));
    } catch (...) {
      // A submission that cannot even be read is graded, and fails there with its reason.
      roster.to_grade.push_back(&s);
      continue;
    }
    if (up_to_date(report_path(out_dir, s.id), current)) {
      ++roster.unchanged;
    } else {
      roster.to_grade.push_back(&s);
    }
  }
  return roster;
}

} // namespace kmgrade::batch
