#include "batch/batch.h"
#include "batch/progress_board.h"

#include "build/build_sandbox.h"
#include "intake/moodle.h"
#include "intake/submission.h"
#include "pipeline/reference_baseline.h"
#include "report/exports.h"
#include "report/moodle_worksheet.h"
#include "score/rubric.h"
#include "util/files.h"
#include "util/error.h"

#include <fmt/format.h>

#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

namespace kmgrade::batch {

namespace fs = std::filesystem;

namespace {


fs::path report_path(const fs::path& out_dir, const std::string& id)
{
  return out_dir / "reports" / (id + ".json");
}

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

// The students' files' hash as the report records it, to tell an unchanged submission.
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

std::string now_for_moodle()
{
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::localtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%A, %d %B %Y, %I:%M %p", &tm);
  return buf;
}

// What a TA watching the batch sees. On a terminal: a board redrawn every second (a bar,
// the elapsed time and the ETA, then each running student's stage), with each finished
// student's line printed above it. Elsewhere: one line per finished student.
class Progress
{
public:
  Progress(const BatchOptions& options, std::size_t total)
    : m_options(options), m_live(options.log && options.live_progress), m_start(std::chrono::steady_clock::now())
  {
    m_state.total = total;
    if (m_live) {
      m_ticker = std::thread([this] {
        std::unique_lock lock(m_mutex);
        while (!m_ended) {
          redraw();
          m_tick.wait_for(lock, std::chrono::seconds(1));
        }
      });
    }
  }
  ~Progress() { end(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void started(std::size_t slot, const std::string& label)
  {
    std::lock_guard lock(m_mutex);
    m_running[slot] = {label, "", std::chrono::steady_clock::now()};
    redraw();
  }

  void stage(std::size_t slot, const std::string& stage)
  {
    std::lock_guard lock(m_mutex);
    if (auto it = m_running.find(slot); it != m_running.end()) {
      it->second.stage = stage;
    }
  }

  // A grade that ended without an outcome (the batch was stopped).
  void abandoned(std::size_t slot)
  {
    std::lock_guard lock(m_mutex);
    m_running.erase(slot);
    redraw();
  }

  void finished(std::size_t slot, const std::string& line, bool failed)
  {
    std::lock_guard lock(m_mutex);
    m_running.erase(slot);
    ++m_state.done;
    m_state.failed += failed;
    if (!m_options.log) {
      return;
    }
    if (m_live) {
      clear();
      *m_options.log << terminal_safe(line) << "\n";
      redraw();
    } else {
      *m_options.log << fmt::format("[{}/{}] ", m_state.done, m_state.total) << terminal_safe(line) << std::endl;
    }
  }

  void skipped(std::size_t n)
  {
    std::lock_guard lock(m_mutex);
    m_state.done += n;
    m_state.skipped += n;
  }

  void end()
  {
    {
      std::lock_guard lock(m_mutex);
      if (m_ended) {
        return;
      }
      m_ended = true;
      if (m_live) {
        clear();
        *m_options.log << std::flush;
      }
    }
    m_tick.notify_all();
    if (m_ticker.joinable()) {
      m_ticker.join();
    }
  }

private:
  struct Running
  {
    std::string label;
    std::string stage;
    std::chrono::steady_clock::time_point since;
  };

  // Takes the board off the screen: the cursor goes back to its first line.
  void clear()
  {
    if (m_drawn > 1) {
      *m_options.log << "\033[" << (m_drawn - 1) << "A";
    }
    *m_options.log << "\r\033[J";
    m_drawn = 0;
  }

  void redraw()
  {
    if (!m_live || m_ended) {
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    m_state.elapsed_s = std::chrono::duration<double>(now - m_start).count();
    m_state.stopping = m_options.stop && m_options.stop->load();
    m_state.running.clear();
    for (const auto& [slot, r] : m_running) {
      m_state.running.push_back({r.label, r.stage, std::chrono::duration<double>(now - r.since).count()});
    }
    const auto lines = render_board(m_state, terminal_width() - 1);
    clear();
    for (std::size_t i = 0; i < lines.size(); ++i) {
      *m_options.log << (i ? "\n" : "") << lines[i];
    }
    *m_options.log << std::flush;
    m_drawn = lines.size();
  }

  static std::size_t terminal_width()
  {
    winsize ws{};
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) {
      return ws.ws_col;
    }
    return 80;
  }

  const BatchOptions& m_options;
  const bool m_live;
  const std::chrono::steady_clock::time_point m_start;
  std::mutex m_mutex;
  std::condition_variable m_tick;
  BoardState m_state;
  std::map<std::size_t, Running> m_running; // by worker slot, in slot order
  std::size_t m_drawn = 0;                  // lines of the board on the screen
  bool m_ended = false;
  std::thread m_ticker;
};

void print_class_summary(const BatchOptions& options, const BatchResult& result, const ClassFiles& files,
                         double seconds)
{
  const auto& reports = files.reports;
  if (!options.summary) {
    return;
  }
  auto& out = *options.summary;
  out << fmt::format("\n{} students: {} graded now, {} unchanged since the last run, {} failed ({})\n",
                     result.students, result.graded, result.unchanged, result.failed.size(),
                     format_duration(seconds));
  if (!reports.empty()) {
    const double auto_max = reports.front().at("auto_max").get<double>();
    const int bins = 5;
    std::vector<int> histogram(bins, 0);
    std::map<std::string, int> failed_checks;
    for (const auto& r : reports) {
      const double share = auto_max > 0 ? r.at("score").get<double>() / auto_max : 0;
      histogram[std::min(bins - 1, static_cast<int>(share * bins))]++;
      for (const auto& ex : r.at("exercises")) {
        for (const auto& c : ex.at("checks")) {
          const auto status = c.at("status").get<std::string>();
          if (status != "pass" && status != "manual") {
            failed_checks[c.at("id").get<std::string>()]++;
          }
        }
      }
    }
    out << fmt::format("automatic score (of {}):\n", auto_max);
    for (int b = 0; b < bins; ++b) {
      out << fmt::format("  {:>5.2f} - {:<5.2f} {:>3} {}\n", auto_max * b / bins, auto_max * (b + 1) / bins,
                         histogram[b], std::string(static_cast<std::size_t>(histogram[b]), '#'));
    }
    std::vector<std::pair<int, std::string>> worst;
    for (const auto& [id, n] : failed_checks) {
      worst.emplace_back(-n, id);
    }
    std::sort(worst.begin(), worst.end());
    out << "most-failed checks:";
    if (worst.empty()) {
      out << " none";
    }
    out << "\n";
    for (std::size_t i = 0; i < std::min<std::size_t>(5, worst.size()); ++i) {
      out << fmt::format("  {:<28} {} of {} students\n", worst[i].second, -worst[i].first, reports.size());
    }
  }
  if (result.similarity) {
    const auto text = similarity::summary_text(*result.similarity);
    out << (text.empty() ? fmt::format("similar submissions: none at {}% or more (similarity.csv has every pair)\n",
                                       result.similarity->threshold)
                         : text);
  } else if (!result.similarity_error.empty()) {
    out << "similarity: not compared: " << result.similarity_error << "\n";
  }
  out << "grading failed for:" << (result.failed.empty() ? " nobody" : "") << "\n";
  for (const auto& f : result.failed) {
    out << "  " << f.id << " (" << f.full_name << "): " << f.why << "\n";
  }
  out << fmt::format("wrote {0}/reports/, {0}/summary.csv and {0}/moodle-grades.csv\n", options.out_dir.string());
  out << fmt::format("open {}/index.html: the class at a glance (score distribution, most-failed checks, a page per "
                     "student), in any browser, offline\n",
                     options.out_dir.string());
  if (!options.worksheet.empty()) {
    out << fmt::format("moodle-grades.csv is your worksheet {} with grades out of its maximum grade {}",
                       options.worksheet.string(), files.worksheet_maximum);
    if (!files.worksheet_unfilled.empty()) {
      const auto n = files.worksheet_unfilled.size();
      out << fmt::format("; {} participant{} without a report keep{} the row as it was", n, n == 1 ? "" : "s",
                         n == 1 ? "s" : "");
    }
    out << ". Upload it in the assignment: View all submissions > Grading action > Upload grading worksheet\n";
  } else {
    out << fmt::format("moodle-grades.csv gives grades out of {0}: Moodle reads them against the assignment's own "
                       "maximum grade (100 unless changed), so set it to {0} first (Edit settings > Grade > Maximum "
                       "grade), or pass --worksheet with the worksheet downloaded from the assignment to have grades "
                       "scaled to its maximum\n",
                       files.worksheet_maximum);
  }
}

// The TA's worksheet, read and checked against the class before any grading starts.
std::optional<report::Worksheet> read_worksheet(const BatchOptions& options)
{
  if (options.worksheet.empty()) {
    return std::nullopt;
  }
  if (!fs::is_regular_file(options.worksheet)) {
    throw Error("the grading worksheet " + options.worksheet.string() + " does not exist: download it from the "
                "assignment (View all submissions > Grading action > Download grading worksheet)");
  }
  return report::parse_worksheet(util::read_file(options.worksheet), options.worksheet.string());
}

// index.html and students/<id>.html. Each page is written atomically; the class page last, so
// its links find the students' pages.
void write_class_page(const BatchOptions& options, const std::vector<nlohmann::json>& reports,
                      std::vector<report::FailedStudent> failed, const std::vector<report::ManualPoints>& manual,
                      const similarity::ClassSimilarity* similarity)
{
  const auto rubric = score::load_rubric(options.grade.rubric);
  for (auto& f : failed) {
    std::error_code ec;
    f.kept = fs::is_directory(options.out_dir / "failed" / f.id, ec) ? "failed/" + f.id : "";
  }
  for (const auto& r : reports) {
    util::write_file_atomically(options.out_dir / "students" /
                                  report::student_page_name(r.at("student").at("id").get<std::string>()),
                                report::student_page(r, manual));
  }
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::localtime_r(&t, &tm);
  char when[64];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
  report::ClassPageInput page;
  page.title = rubric.title;
  page.reports = reports;
  page.failed = std::move(failed);
  page.manual = manual;
  page.rubric = &rubric;
  page.similarity = similarity;
  page.generated_at = when;
  util::write_file_atomically(options.out_dir / "index.html", report::class_page(page));
}

// Similarity's inputs, checked before an hour of grading rather than after it.
void check_similarity_inputs(const BatchOptions& options)
{
  if (!options.similarity) {
    return;
  }
  similarity::require_sim_c();
  if (!options.corpus.empty() && !fs::is_directory(options.corpus)) {
    throw Error("the corpus " + options.corpus.string() + " is not a folder");
  }
  for (const auto& b : options.base_files) {
    if (!fs::is_regular_file(b)) {
      throw Error("the base file " + b.string() + " does not exist");
    }
  }
}

// Each student's files found again in the unpacked class (in `scratch`), then compared.
void compare_students(const BatchOptions& options, const score::Rubric& rubric,
                      const std::vector<intake::Student>& students, const fs::path& scratch, BatchResult& result)
{
  std::vector<similarity::StudentFiles> files;
  std::vector<std::string> modules;
  for (const auto& m : rubric.modules) {
    modules.push_back(m.id);
  }
  for (const auto& s : students) {
    try {
      const auto sub = intake::open_submission(s.folder, pipeline::wanted_files(rubric), scratch / ("similar-" + s.id));
      similarity::StudentFiles f{s.id, {}};
      for (const auto& m : rubric.modules) {
        if (auto it = sub.files.find(m.file); it != sub.files.end()) {
          f.modules[m.id] = it->second;
        }
      }
      files.push_back(std::move(f));
    } catch (const Error&) {
      // Unreadable: its grading says why; there is nothing of it to compare.
    }
  }
  similarity::CompareOptions compare;
  compare.threshold = options.similarity_threshold.value_or(rubric.similarity_threshold);
  compare.min_run = options.similarity_min_run.value_or(rubric.similarity_min_run);
  compare.corpus = options.corpus;
  compare.base_files = options.base_files;
  try {
    result.similarity = similarity::compare_class(files, modules, options.out_dir, compare);
  } catch (const Error& e) {
    result.similarity_error = e.what();
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

similarity::ClassSimilarity compare_only(const BatchOptions& options)
{
  BatchOptions checked = options;
  checked.similarity = true;
  check_similarity_inputs(checked);
  const score::Rubric rubric = score::load_rubric(options.grade.rubric);
  const fs::path scratch = options.out_dir / ".scratch";
  std::error_code ec;
  fs::remove_all(scratch, ec);
  BatchResult result;
  try {
    const auto students = intake::split_class(options.input, scratch / "class");
    compare_students(options, rubric, students, scratch, result);
  } catch (...) {
    fs::remove_all(scratch, ec);
    throw;
  }
  fs::remove_all(scratch, ec);
  if (!result.similarity) {
    throw Error("cannot compare the class " + options.input.string() + ": " + result.similarity_error);
  }
  if (options.summary) {
    const auto text = similarity::summary_text(*result.similarity);
    *options.summary << (text.empty() ? fmt::format("similar submissions: none at {}% or more\n",
                                                    result.similarity->threshold)
                                      : text)
                     << fmt::format("wrote {}/similarity.csv ({} pairs) and {}/similarity.json\n",
                                    options.out_dir.string(), result.similarity->pairs.size(),
                                    options.out_dir.string());
  }
  return *result.similarity;
}

ClassFiles write_class_files(const BatchOptions& options, const std::vector<report::ClassMember>& students,
                             const std::vector<report::FailedStudent>& failed,
                             const similarity::ClassSimilarity* similarity)
{
  std::vector<report::ManualPoints> manual;
  if (!options.manual_points.empty()) {
    if (!fs::exists(options.manual_points)) {
      throw Error("the manual points file " + options.manual_points.string() + " does not exist");
    }
    manual = report::parse_manual_points(util::read_file(options.manual_points), options.manual_points.string());
  }
  const auto worksheet = read_worksheet(options);
  ClassFiles files;
  auto& reports = files.reports;
  std::vector<report::FailedStudent> without_report;
  for (const auto& s : students) {
    const auto path = report_path(options.out_dir, s.id);
    if (fs::exists(path)) {
      reports.push_back(nlohmann::json::parse(util::read_file(path)));
      continue;
    }
    auto it = std::find_if(failed.begin(), failed.end(), [&](const auto& f) { return f.id == s.id; });
    without_report.push_back(it != failed.end() ? *it : report::FailedStudent{s.id, s.full_name, "no report", ""});
  }
  util::write_file_atomically(options.out_dir / "summary.csv", report::summary_csv(reports, manual));
  if (worksheet) {
    auto filled = report::fill_worksheet(*worksheet, reports, manual);
    util::write_file_atomically(options.out_dir / "moodle-grades.csv", filled.csv);
    files.worksheet_maximum = filled.maximum;
    files.worksheet_unfilled = filled.unfilled;
  } else {
    util::write_file_atomically(options.out_dir / "moodle-grades.csv",
                                report::moodle_worksheet(reports, manual, now_for_moodle()));
    files.worksheet_maximum = report::format_points(score::load_rubric(options.grade.rubric).max_score);
  }
  write_class_page(options, reports, std::move(without_report), manual, similarity);
  if (!options.gradescope_dir.empty()) {
    for (const auto& r : reports) {
      util::write_file_atomically(options.gradescope_dir / r.at("student").at("id").get<std::string>() /
                                    "results.json",
                                  report::to_json_text(report::gradescope_results(r, manual)));
    }
  }
  return files;
}

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
  std::vector<const intake::Student*> to_grade;
  for (const auto& s : students) {
    if (options.regrade) {
      to_grade.push_back(&s);
      continue;
    }
    ResumeKey current{KMGRADE_VERSION, rubric.sha256, "", identity};
    try {
      current.submission_sha256 = submission_hash(s, rubric, scratch / ("hash-" + s.id));
    } catch (...) {
      // A submission that cannot even be read is graded, and fails there with its reason.
      to_grade.push_back(&s);
      continue;
    }
    if (up_to_date(report_path(options.out_dir, s.id), current)) {
      ++result.unchanged;
    } else {
      to_grade.push_back(&s);
    }
  }
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
        line = fmt::format("{} ({}): {} / {} automatic points in {}", student.full_name, student.id,
                           rep.score.score, rep.score.auto_max,
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
    compare_students(options, rubric, students, scratch, result);
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
      *options.summary << fmt::format("\nkmgrade: stopped. {} of {} students are graded ({} in this run); run the "
                                      "same command again to grade the other {}: graded students are not graded "
                                      "again\n",
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
