#include "batch/batch.h"

#include "batch/class_files.h"
#include "batch/class_summary.h"
#include "batch/progress.h"
#include "batch/resume.h"
#include "build/build_sandbox.h"
#include "intake/moodle.h"
#include "pipeline/reference_baseline.h"
#include "report/report.h"
#include "score/rubric.h"
#include "util/error.h"
#include "util/files.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

namespace kmgrade::batch {

namespace fs = std::filesystem;

namespace {

// Fails early, with a clear message, when the outputs cannot be written at all.
void check_writable(const fs::path& out_dir)
{
  std::error_code ec;
  fs::create_directories(out_dir / "reports", ec);
  if (ec) {
    throw Error("cannot write the output folder " + out_dir.string() + ": " + ec.message());
  }
  util::write_file_atomically(out_dir / "reports" / ".kmgrade-write-test", "ok");
  fs::remove(out_dir / "reports" / ".kmgrade-write-test", ec);
  // The class's unpacked submissions and one scratch folder per job live here.
  util::require_free_space(out_dir, 256ULL << 20, "the output folder");
}

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

} // namespace

BatchResult run_batch(const BatchOptions& options)
{
  const auto start = std::chrono::steady_clock::now();
  check_writable(options.out_dir);
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
  const auto students = intake::split_class(options.input, scratch / "class");
  if (worksheet) {
    std::vector<report::ClassMember> members;
    for (const auto& s : students) {
      members.push_back({s.id, s.full_name});
    }
    try {
      report::check_worksheet_covers(*worksheet, members);
    } catch (const Error&) {
      fs::remove_all(scratch, scratch_ec);
      throw;
    }
  }

  BatchResult result;
  result.students = students.size();
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
  if (options.similarity && !stopping()) {
    if (options.log) {
      *options.log << "kmgrade: comparing the students' files\n";
    }
    auto compared = compare_students(options, rubric, students, scratch);
    result.similarity = std::move(compared.similarity);
    result.similarity_error = std::move(compared.error);
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

  std::vector<report::ClassMember> members;
  for (const auto& s : students) {
    members.push_back({s.id, s.full_name});
  }
  const auto files =
    write_class_files(options, members, result.failed, result.similarity ? &*result.similarity : nullptr);
  print_class_summary(options, result, files,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return result;
}

} // namespace kmgrade::batch
