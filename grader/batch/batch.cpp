#include "batch/batch.h"

#include "batch/class_files.h"
#include "batch/class_summary.h"
#include "batch/progress.h"
#include "batch/resume.h"
#include "build/build_sandbox.h"
#include "intake/moodle.h"
#include "pipeline/reference_baseline.h"
#include "report/report.h"
#include "run/sandbox_vm.h"
#include "score/rubric.h"
#include "similarity/similarity.h"
#include "util/error.h"
#include "util/files.h"
#include "util/sha256.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iterator>
#include <mutex>
#include <set>
#include <thread>

namespace kmgrade::batch {

namespace fs = std::filesystem;

namespace {

// Why grading one student failed, in words for the TA: any exception ends only that student.
std::string failure_reason(const std::exception_ptr& failure)
{
  try {
    std::rethrow_exception(failure);
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("an internal error of kmgrade (") + e.what() + "); please report it with this student's files";
  } catch (...) {
    return "an internal error of kmgrade; please report it with this student's files";
  }
}

// The work folder of a student whose grading failed, moved out of the scratch folder (which
// is cleared) to out_dir/failed/<id>, so the files the failure message names (the VM's
// console log) are there for the TA to read; its path in `why` is rewritten to match.
void keep_failed_work(const fs::path& out_dir, const std::string& id, const fs::path& work_dir, std::string& why)
{
  const fs::path kept = out_dir / "failed" / id;
  std::error_code ec;
  fs::remove_all(kept, ec);
  fs::create_directories(kept.parent_path(), ec);
  fs::rename(work_dir, kept, ec);
  if (ec) {
    return;
  }
  const std::string from = work_dir.string();
  for (auto at = why.find(from); at != std::string::npos; at = why.find(from, at + kept.string().size())) {
    why.replace(at, from.size(), kept.string());
  }
}

// run::qemu_version(), or "" when QEMU cannot be run.
std::string qemu_version()
{
  try {
    return run::qemu_version();
  } catch (const Error&) {
    return "";
  }
}

// Each student's lab files as handed in, kept in the shard's folder: kmgrade merge reads no
// class download, and compares these across the class. A file a student no longer hands in goes.
void keep_sources(const fs::path& out_dir, const score::Rubric& rubric, const std::vector<intake::Student>& students,
                  const fs::path& scratch)
{
  for (const auto& s : students) {
    std::error_code ec;
    fs::remove_all(similarity::student_sources(out_dir, s.id), ec);
  }
  for (const auto& f : find_student_files(rubric, students, scratch)) {
    for (const auto& [module, path] : f.modules) {
      util::write_file_atomically(similarity::source_path(out_dir, f.id, module), util::read_file(path));
    }
  }
}

// What a shard graded, and with what, as shard.json keeps it for kmgrade merge to check.
ShardRecord shard_record(const BatchOptions& options, const score::Rubric& rubric,
                         const pipeline::GraderIdentity& identity, const run::SandboxKernel& kernel,
                         const std::vector<intake::Student>& everyone, const std::vector<intake::Student>& students,
                         const ShardResult& result)
{
  ShardRecord r;
  r.shard = options.shard;
  std::vector<std::string> roster_ids;
  for (const auto& s : everyone) {
    r.roster.push_back({s.id, s.full_name});
    roster_ids.push_back(s.id);
  }
  r.roster_sha256 = roster_sha256(roster_ids);
  for (const auto& s : students) {
    r.ids.push_back(s.id);
  }
  r.failed = result.failed;
  r.grader_version = KMGRADE_VERSION;
  r.build_sha256 = identity.build_sha256;
  r.agent_sha256 = util::sha256_hex(util::read_file(options.grade.agent));
  r.lab_id = rubric.id;
  r.lab_sha256 = pipeline::lab_sha256(rubric, identity);
  r.rubric_sha256 = rubric.sha256;
  r.kernel = kernel.version;
  r.kernel_sha256 = identity.kernel_sha256;
  r.qemu = qemu_version();
  r.machine = pipeline::this_machine();
  r.cpu_model = pipeline::processor_model();
  // The accelerator and the reference times are those the reports were graded with: a report
  // kept from an earlier run may have had others.
  std::set<std::string> accels;
  std::set<BaselineSource> baselines;
  for (const auto& s : students) {
    const fs::path path = report_path(options.out_dir, s.id);
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      continue;
    }
    try {
      const auto j = nlohmann::json::parse(util::read_file(path));
      accels.insert(j.at("environment").at("accel").get<std::string>());
      const auto& times = j.at("reference_times");
      baselines.insert({times.at("measured_at").get<std::string>(), times.at("machine").get<std::string>(),
                        times.at("accel").get<std::string>()});
    } catch (const nlohmann::json::exception&) {
      // Not a report of this kmgrade: the next run of the shard grades the student again.
    }
  }
  r.accel = fmt::format("{}", fmt::join(accels, ", "));
  r.reference_times.assign(baselines.begin(), baselines.end());
  r.finished_at = pipeline::utc_now();
  return r;
}

} // namespace

ShardResult grade_shard(const BatchOptions& options)
{
  const auto start = std::chrono::steady_clock::now();
  check_out_dir(options.out_dir);
  // What the class files need is checked before an hour of grading rather than after it.
  check_similarity_inputs(options);
  const run::SandboxKernel kernel = run::find_sandbox_kernel();
  build::check_build_sandbox(kernel.build_dir);
  const score::Rubric rubric = score::load_rubric(options.grade.rubric);
  const pipeline::GraderIdentity identity = pipeline::grader_identity(options.grade, rubric, kernel);
  // Everything a batch unpacks or builds lives here, and a batch killed mid-way leaves it
  // for the next run to clear, not in the system's temporary folder.
  const fs::path scratch = options.out_dir / ".scratch";
  std::error_code scratch_ec;
  fs::remove_all(scratch, scratch_ec);
  const auto worksheet = read_worksheet(options);
  // The out folder follows the umask, so that others may read the results; the students'
  // code unpacked and built here stays the owner's, as in a folder of mkdtemp's.
  util::create_private_folder(scratch);
  const auto everyone = intake::split_class(options.input, scratch / "class");
  if (worksheet) {
    std::vector<report::ClassMember> members;
    for (const auto& s : everyone) {
      members.push_back({s.id, s.full_name});
    }
    try {
      report::check_worksheet_covers(*worksheet, members);
    } catch (const Error&) {
      fs::remove_all(scratch, scratch_ec);
      throw;
    }
  }
  std::vector<intake::Student> students;
  std::copy_if(everyone.begin(), everyone.end(), std::back_inserter(students),
               [&options](const intake::Student& s) { return shard_of(s.id, options.shard.n) == options.shard.k; });
  fs::remove(shard_record_path(options.out_dir), scratch_ec);

  ShardResult result;
  result.class_size = everyone.size();
  result.students = students.size();
  if (options.log && options.shard.n > 1) {
    *options.log << fmt::format("kmgrade: shard {}: {} of the class's {} students\n", to_string(options.shard),
                                students.size(), everyone.size());
  }
  const auto roster = students_to_grade(students, rubric, identity, options.out_dir, options.regrade, scratch);
  const auto& to_grade = roster.to_grade;
  result.unchanged = roster.unchanged;
  if (options.log && result.unchanged) {
    *options.log << fmt::format("kmgrade: {} of {} students are unchanged since their report; grading {}\n",
                                result.unchanged, students.size(), to_grade.size());
  }
  Progress progress(options, students.size());
  progress.skipped(result.unchanged);

  // Measured once for the batch: the first grades measure the reference again, the rest reuse it.
  if (options.grade.fresh_reference) {
    pipeline::forget_baselines(options.grade.cache_dir);
  }
  std::mutex mutex;
  std::atomic<std::size_t> next{0};
  const auto stopping = [&options] { return options.stop && options.stop->load(); };
  auto worker = [&](std::size_t slot) {
    for (std::size_t i = next++; i < to_grade.size() && !stopping(); i = next++) {
      const auto& student = *to_grade[i];
      progress.started(slot, student.full_name + " (" + student.id + ")");
      const auto t0 = std::chrono::steady_clock::now();
      pipeline::GradeOptions grade = options.grade;
      grade.submission = student.folder;
      grade.work_dir = scratch / ("grade-" + student.id);
      grade.progress = nullptr;
      grade.stage = [&progress, slot](const std::string& stage) { progress.stage(slot, stage); };
      grade.keep_going = [&stopping] { return !stopping(); };
      grade.fresh_reference = false;
      std::string line;
      bool failed = false;
      try {
        auto rep = pipeline::grade(grade);
        if (stopping()) {
          // A grade the stop may have cut short: the next run grades this student again.
          throw Error("stopped");
        }
        auto j = report::to_json(rep);
        j["student"] = {{"id", student.id}, {"full_name", student.full_name}};
        j["submission"]["path"] = (options.input.filename() / student.folder.filename()).string();
        util::write_file_atomically(report_path(options.out_dir, student.id), report::to_json_text(j));
        std::error_code gone;
        fs::remove_all(options.out_dir / "failed" / student.id, gone);
        line = fmt::format(
          "{} ({}): {} / {} automatic points in {}", student.full_name, student.id, rep.score.score, rep.score.auto_max,
          format_duration(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()));
        std::lock_guard lock(mutex);
        ++result.graded;
      } catch (...) {
        if (stopping()) {
          std::error_code ec;
          fs::remove_all(grade.work_dir, ec);
          progress.abandoned(slot);
          break;
        }
        failed = true;
        std::string why = failure_reason(std::current_exception());
        keep_failed_work(options.out_dir, student.id, grade.work_dir, why);
        line = fmt::format("{} ({}): grading failed: {}", student.full_name, student.id, why);
        std::lock_guard lock(mutex);
        result.failed.push_back({student.id, student.full_name, why, ""});
      }
      std::error_code ec;
      fs::remove_all(grade.work_dir, ec);
      progress.finished(slot, line, failed);
    }
  };
  std::vector<std::thread> threads;
  for (int j = 0; j < std::max(1, options.jobs); ++j) {
    threads.emplace_back(worker, static_cast<std::size_t>(j));
  }
  for (auto& t : threads) {
    t.join();
  }
  progress.end();
  if (!stopping()) {
    keep_sources(options.out_dir, rubric, students, scratch);
  }
  std::error_code ec;
  fs::remove_all(scratch, ec);
  fs::remove(options.out_dir / "failed", ec); // only when no student's failure is kept there
  if (stopping()) {
    result.stopped = true;
    std::size_t with_report = 0;
    for (const auto& s : students) {
      with_report += fs::exists(report_path(options.out_dir, s.id));
    }
    if (options.summary) {
      *options.summary << fmt::format(
        "\nkmgrade: stopped. {} of {} students are graded ({} in this run); run the same command again to grade the other {}: graded students are not graded again\n",
        with_report, students.size(), result.graded, students.size() - with_report);
    }
    return result;
  }
  std::sort(result.failed.begin(), result.failed.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  util::write_file_atomically(
    shard_record_path(options.out_dir),
    report::to_json_text(to_json(shard_record(options, rubric, identity, kernel, everyone, students, result))));
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

BatchResult run_batch(const BatchOptions& options)
{
  const auto start = std::chrono::steady_clock::now();
  BatchOptions whole = options;
  whole.shard = {1, 1};
  BatchResult result;
  result.grading = grade_shard(whole);
  if (result.grading.stopped) {
    return result;
  }
  result.merged = merge_shards(whole, {whole.out_dir}, false);
  const auto& graded = result.grading;
  print_class_summary(
    whole,
    fmt::format("{} students: {} graded now, {} unchanged since the last run, {} failed ({})", graded.students,
                graded.graded, graded.unchanged, graded.failed.size(),
                format_duration(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count())),
    result.merged);
  return result;
}

} // namespace kmgrade::batch
