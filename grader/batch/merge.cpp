#include "batch/merge.h"

#include "batch/compare.h"
#include "batch/resume.h"
#include "score/rubric.h"
#include "similarity/similarity.h"
#include "util/error.h"
#include "util/files.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

namespace kmgrade::batch {

namespace fs = std::filesystem;

namespace {

// At most this many students are named in one line of a refusal; the rest are counted.
constexpr std::size_t k_named_students = 10;

std::string shard_name(const ShardFolder& s)
{
  return s.dir.string() + " (shard " + to_string(s.record.shard) + ")";
}

std::string short_hash(const std::string& sha256)
{
  return sha256.substr(0, 12);
}

// A student as the worksheet's check names them: blind marking's "Participant 106" is id enough.
std::string member_name(const report::ClassMember& m)
{
  return m.full_name == "Participant " + m.id ? m.full_name : m.full_name + " (" + m.id + ")";
}

std::string named(const std::vector<std::string>& names)
{
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < k_named_students; ++i) {
    out += (i ? ", " : "") + names[i];
  }
  if (names.size() > k_named_students) {
    out += fmt::format(" and {} more", names.size() - k_named_students);
  }
  return out;
}

// Throws Error saying `what`, then each shard with its value, when the shards' values differ;
// a shard whose value is empty has nothing to compare and is left out.
void require_same(const std::vector<ShardFolder>& shards, const std::string& what,
                  const std::function<std::string(const ShardRecord&)>& value, const std::string& advice)
{
  std::set<std::string> values;
  for (const auto& s : shards) {
    if (const auto v = value(s.record); !v.empty()) {
      values.insert(v);
    }
  }
  if (values.size() <= 1) {
    return;
  }
  std::string message = what + ":";
  for (const auto& s : shards) {
    if (const auto v = value(s.record); !v.empty()) {
      message += "\n  " + shard_name(s) + ": " + v;
    }
  }
  throw Error(message + "\n" + advice);
}

// Every student of the roster in exactly one shard, and nobody else in any.
void check_coverage(const std::vector<ShardFolder>& shards)
{
  std::map<std::string, std::vector<const ShardFolder*>> holders;
  std::set<unsigned> counts;
  for (const auto& s : shards) {
    counts.insert(s.record.shard.n);
    for (const auto& id : s.record.ids) {
      holders[id].push_back(&s);
    }
  }
  std::vector<std::string> missing;
  std::set<std::string> missing_shards;
  std::vector<std::string> twice;
  std::set<std::string> in_roster;
  for (const auto& m : shards.front().record.roster) {
    in_roster.insert(m.id);
    const auto it = holders.find(m.id);
    if (it == holders.end()) {
      missing.push_back(member_name(m));
      if (counts.size() == 1) {
        missing_shards.insert(to_string({shard_of(m.id, *counts.begin()), *counts.begin()}));
      }
    } else if (it->second.size() > 1) {
      std::string where;
      for (const auto* s : it->second) {
        where += (where.empty() ? "" : " and ") + shard_name(*s);
      }
      twice.push_back(member_name(m) + " is in " + where);
    }
  }
  std::vector<std::string> strangers;
  for (const auto& [id, in] : holders) {
    if (in_roster.count(id) == 0) {
      strangers.push_back(id + " (in " + shard_name(*in.front()) + ")");
    }
  }
  std::vector<std::string> problems;
  if (!missing.empty()) {
    problems.push_back(
      fmt::format("{} in no shard: {}",
                  missing.size() == 1 ? "1 student is" : fmt::format("{} students are", missing.size()),
                  named(missing)) +
      (missing_shards.empty()
         ? ""
         : fmt::format(" (shard {} grades them: merge its folder too)", fmt::join(missing_shards, " and "))));
  }
  if (!twice.empty()) {
    problems.push_back(fmt::format("{} in two shards or more: {}",
                                   twice.size() == 1 ? "1 student is" : fmt::format("{} students are", twice.size()),
                                   named(twice)));
  }
  if (!strangers.empty()) {
    problems.push_back("not students of the class: " + named(strangers));
  }
  if (!problems.empty()) {
    throw Error("the shards do not hold every student of the class exactly once:\n  " +
                fmt::format("{}", fmt::join(problems, "\n  ")));
  }
}

// Puts student `id`'s report, and the work folder their failed grading kept, in `out_dir` as
// the shard in `shard_dir` has them: what the shard lacks goes from `out_dir` too, so an earlier
// merge's outcome never stands in for this one's.
void take_student(const fs::path& shard_dir, const fs::path& out_dir, const std::string& id)
{
  const fs::path report = report_path(shard_dir, id);
  std::error_code ec;
  if (fs::is_regular_file(report, ec)) {
    util::write_file_atomically(report_path(out_dir, id), util::read_file(report));
  } else {
    fs::remove(report_path(out_dir, id), ec);
  }
  const fs::path kept = shard_dir / "failed" / id;
  fs::remove_all(out_dir / "failed" / id, ec);
  if (fs::is_directory(kept, ec)) {
    fs::create_directories(out_dir / "failed", ec);
    fs::copy(kept, out_dir / "failed" / id, fs::copy_options::recursive);
  }
}

// The lab files the shard kept of student `id` (see similarity::source_path).
similarity::StudentFiles kept_files(const fs::path& shard_dir, const score::Rubric& rubric, const std::string& id)
{
  similarity::StudentFiles files{id, {}};
  for (const auto& m : rubric.modules) {
    const fs::path path = similarity::source_path(shard_dir, id, m.id);
    std::error_code ec;
    if (fs::is_regular_file(path, ec)) {
      files.modules[m.id] = path;
    }
  }
  return files;
}

} // namespace

void check_shards(const std::vector<ShardFolder>& shards, bool mixed_accel)
{
  require_same(
    shards, "the shards are not of the same class download (their lists of students differ)",
    [](const ShardRecord& r) {
      return fmt::format("{} students, roster {}", r.roster.size(), short_hash(r.roster_sha256));
    },
    "Grade every shard from the same download of the submissions.");
  check_coverage(shards);
  require_same(
    shards, "the shards were not graded by the same kmgrade build",
    [](const ShardRecord& r) { return "kmgrade " + r.grader_version + ", build " + short_hash(r.build_sha256); },
    "Their verdicts may differ: grade the odd shards again with the build of the others (a rerun of a shard grades again every report another build wrote).");
  require_same(
    shards, "the shards were not graded with the same lab (its file and reference solution)",
    [](const ShardRecord& r) { return r.lab_id + " " + short_hash(r.lab_sha256); },
    "Grade every shard with the same lab file and reference solution.");
  require_same(
    shards, "the shards were not graded on the same sandbox kernel",
    [](const ShardRecord& r) { return "Linux " + r.kernel + " " + short_hash(r.kernel_sha256); },
    "Grade every shard with the same kernel image and headers installed.");
  if (!mixed_accel) {
    require_same(
      shards, "the shards were graded with different accelerators", [](const ShardRecord& r) { return r.accel; },
      "Each shard's times are compared with a reference measured on its own accelerator, so the class's times are not comparable; pass --mixed-accel to merge them anyway (the reports are kept as they are).");
  }
}

MergeResult merge_shards(const BatchOptions& options, const std::vector<fs::path>& shard_dirs, bool mixed_accel)
{
  if (shard_dirs.empty()) {
    throw Error("give the folders of the shards to merge", Error::Kind::usage);
  }
  std::vector<ShardFolder> shards;
  for (const auto& dir : shard_dirs) {
    shards.push_back({dir, read_shard_record(dir)});
  }
  check_shards(shards, mixed_accel);
  const auto& first = shards.front().record;
  const score::Rubric rubric = score::load_rubric(options.grade.rubric);
  if (rubric.sha256 != first.rubric_sha256) {
    throw Error("the lab file " + options.grade.rubric.string() + " is not the one the shards were graded with (lab " +
                first.lab_id + "): give that lab's file with --lab");
  }
  check_out_dir(options.out_dir);
  check_similarity_inputs(options);
  const auto& members = first.roster;
  if (const auto worksheet = read_worksheet(options)) {
    report::check_worksheet_covers(*worksheet, members);
  }

  std::map<std::string, const ShardFolder*> shard_of_student;
  MergeResult result;
  result.students = members.size();
  for (const auto& s : shards) {
    std::error_code ec;
    const bool in_place = fs::equivalent(s.dir, options.out_dir, ec);
    for (const auto& id : s.record.ids) {
      shard_of_student[id] = &s;
      if (!in_place) {
        take_student(s.dir, options.out_dir, id);
      }
    }
    result.failed.insert(result.failed.end(), s.record.failed.begin(), s.record.failed.end());
  }
  std::sort(result.failed.begin(), result.failed.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  std::error_code ec;
  fs::remove(options.out_dir / "failed", ec); // only when no student's failure is kept there
  if (options.similarity) {
    if (options.log) {
      *options.log << "kmgrade: comparing the students' files\n";
    }
    // In the roster's order, as a class download lists them: the pairs come out in that order.
    std::vector<similarity::StudentFiles> files;
    for (const auto& m : members) {
      files.push_back(kept_files(shard_of_student.at(m.id)->dir, rubric, m.id));
    }
    auto compared = compare_files(options, rubric, files);
    result.similarity = std::move(compared.similarity);
    result.similarity_error = std::move(compared.error);
  }
  result.files = write_class_files(options, members, result.failed, result.similarity ? &*result.similarity : nullptr);
  return result;
}

} // namespace kmgrade::batch
