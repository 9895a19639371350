// Grades the sample class download with the real kmgrade binary: killed mid-batch, then
// resumed, then rerun; every report exactly once, none corrupt, the worksheet exact, the
// class files readable by others under umask 022 and the unpacked code not. And a student
// whose grade fails keeps what the failure message names. Then Moodle's own worksheet of the
// class filled in, and one of another class refused before any grading.
//
//   e2e_batch KMGRADE CLASS.zip MANUAL.csv EXPECTED.json STUDENT_FOLDER WORKSHEET.csv

#include "report/exports.h"
#include "report/moodle_worksheet.h"
#include "util/process.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <set>
#include <thread>

namespace fs = std::filesystem;

namespace {

std::string g_kmgrade, g_class, g_manual, g_expected, g_student, g_worksheet, g_chromium;

std::string read_text(const fs::path& path)
{
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> batch_args(const fs::path& out)
{
  return {g_kmgrade, "batch", g_class, "--out", out.string(), "--jobs", "2", "--manual", g_manual};
}

// Scratch folders of grades (kmgrade-XXXXXX) in a temporary folder.
std::set<std::string> grade_folders_in(const fs::path& tmpdir)
{
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(tmpdir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("kmgrade-", 0) == 0 && name.size() == 14) {
      names.insert(name);
    }
  }
  return names;
}

std::size_t reports_in(const fs::path& out)
{
  std::size_t n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(out / "reports", ec)) {
    n += e.path().extension() == ".json" && e.path().filename().string()[0] != '.';
  }
  return n;
}

// Starts a batch and kills it (and so its VMs) with SIGKILL once the first report is written.
// The batch gets a temporary folder of its own, so what it leaves there is told apart from
// what other programs on the machine make.
void run_and_kill_after_first_report(const fs::path& out, const fs::path& tmpdir)
{
  auto args = batch_args(out);
  std::vector<char*> argv;
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  std::vector<std::string> env = {"TMPDIR=" + tmpdir.string()};
  for (char** e = environ; *e; ++e) {
    if (std::string(*e).rfind("TMPDIR=", 0) != 0) {
      env.emplace_back(*e);
    }
  }
  std::vector<char*> envp;
  for (auto& e : env) {
    envp.push_back(e.data());
  }
  envp.push_back(nullptr);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::freopen("/dev/null", "w", stdout);
    ::freopen("/dev/null", "w", stderr);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
  while (reports_in(out) == 0 && std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, WNOHANG), 0) << "the batch ended before any report was written";
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  ASSERT_GE(reports_in(out), 1u);
}

// Whether the group and others may read `path` (a co-TA, the web server).
bool readable_by_all(const fs::path& path)
{
  struct stat st
  {
  };
  return ::stat(path.c_str(), &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)) == (S_IRGRP | S_IROTH);
}

// The mode bits of `path`, 0 when it is not there.
mode_t mode_of(const fs::path& path)
{
  struct stat st
  {
  };
  return ::stat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
}

// The DOM headless Chromium builds from `file`, opened from the folder as a TA opens it.
std::string dom_of(const fs::path& file, const fs::path& profile)
{
  kmgrade::util::ProcessOptions options;
  options.timeout = std::chrono::seconds(120);
  options.max_output = 16 << 20;
  auto r = kmgrade::util::run_process({"sh", "-c", "exec \"$@\" 2>/dev/null", "sh", g_chromium, "--headless=new",
                                       "--no-sandbox", "--disable-gpu", "--no-first-run",
                                       "--user-data-dir=" + profile.string(), "--dump-dom", "file://" + file.string()},
                                      options);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return r.output;
}

TEST(EndToEndBatch, KilledResumedAndRerun)
{
  const fs::path out = fs::temp_directory_path() / ("kmgrade-e2e-batch-" + std::to_string(::getpid()));
  fs::remove_all(out);
  const auto expected = nlohmann::json::parse(read_text(g_expected));
  const std::size_t students = expected.at("students").size();

  // kmgrade, which inherits it, writes the class's files as the umask says, the students' code kept private.
  const mode_t saved_umask = ::umask(022);
  const fs::path tmpdir = out.string() + "-tmp";
  fs::remove_all(tmpdir);
  fs::create_directories(tmpdir);
  run_and_kill_after_first_report(out, tmpdir);
  EXPECT_EQ(mode_of(out / ".scratch"), 0700u) << "the class's unpacked code must be the grader's alone";
  // A killed batch leaves its scratch under --out, where the next run clears it.
  EXPECT_EQ(grade_folders_in(tmpdir), std::set<std::string>{});
  fs::remove_all(tmpdir);
  const std::size_t before = reports_in(out);
  ASSERT_LT(before, students) << "the whole class was graded before the kill: nothing to resume";
  for (const auto& e : fs::directory_iterator(out / "reports")) {
    if (e.path().extension() == ".json" && e.path().filename().string()[0] != '.') {
      EXPECT_NO_THROW(nlohmann::json::parse(read_text(e.path()))) << e.path() << " is corrupt";
    }
  }
  // No VM of the killed batch is left running: their command lines name files under --out.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  auto pgrep = kmgrade::util::run_process({"pgrep", "-f", "qemu-system-x86_64.*" + out.string()});
  EXPECT_NE(pgrep.exit_code, 0) << "processes of the killed batch are still running:\n" << pgrep.output;

  kmgrade::util::ProcessOptions opts;
  opts.max_output = 16 << 20;
  auto resumed = kmgrade::util::run_process(batch_args(out), opts);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find(std::to_string(before) + " of " + std::to_string(students) +
                                " students are unchanged since their report"),
            std::string::npos)
    << resumed.output;
  EXPECT_EQ(reports_in(out), students);
  EXPECT_FALSE(fs::exists(out / ".scratch")) << "the finished batch left its scratch folder";
  const std::string some_student = expected.at("students").begin().key();
  for (const fs::path& file : {out, out / "reports", out / "students", out / "summary.csv", out / "moodle-grades.csv",
                               out / "index.html", out / "similarity.csv", out / "reports" / (some_student + ".json"),
                               out / "students" / (some_student + ".html")}) {
    EXPECT_TRUE(readable_by_all(file)) << file << " is not readable by others under umask 022";
  }
  EXPECT_EQ(mode_of(out / "summary.csv"), 0644u);

  // Similarity: real copies and the renamed near-copy flagged, and no other pair: not the
  // independent solutions, nor the canonical ones of 102, 103 and 105 (alike in shape only).
  const auto similarity = kmgrade::report::parse_csv(read_text(out / "similarity.csv"));
  ASSERT_FALSE(similarity.empty());
  EXPECT_EQ(similarity[0], (std::vector<std::string>{"module", "student_a", "student_b", "percent", "flagged"}));
  std::map<std::string, std::string> flagged_of;
  std::set<std::string> pairs_seen;
  for (std::size_t i = 1; i < similarity.size(); ++i) {
    ASSERT_EQ(similarity[i].size(), 5u);
    const auto key = similarity[i][0] + " " + similarity[i][1] + " " + similarity[i][2];
    EXPECT_LT(similarity[i][1], similarity[i][2]) << key;
    EXPECT_TRUE(pairs_seen.insert(key).second) << key << " twice";
    flagged_of[key] = similarity[i][4];
  }
  const auto& want_similar = expected.at("similarity");
  std::set<std::string> want_flagged;
  for (const auto& p : want_similar.at("flagged")) {
    const auto key = p[0].get<std::string>() + " " + p[1].get<std::string>() + " " + p[2].get<std::string>();
    want_flagged.insert(key);
    EXPECT_EQ(flagged_of[key], "yes") << key << " must be flagged";
    EXPECT_TRUE(fs::exists(out / "similarity" / p[0].get<std::string>() /
                           (p[1].get<std::string>() + "--" + p[2].get<std::string>() + ".html")))
      << key;
  }
  for (const auto& p : want_similar.at("not_flagged")) {
    const auto key = p[0].get<std::string>() + " " + p[1].get<std::string>() + " " + p[2].get<std::string>();
    EXPECT_EQ(flagged_of[key], "no") << key << " must not be flagged";
  }
  for (std::size_t i = 1; i < similarity.size(); ++i) {
    const auto key = similarity[i][0] + " " + similarity[i][1] + " " + similarity[i][2];
    EXPECT_TRUE(similarity[i][4] == "no" || want_flagged.count(key) > 0) << key << " is flagged, and no other pair";
  }

  // What a TA sees when they open the class page of this batch in a browser: every student's
  // row, the chart, and the near-copy's cluster, whose link opens the two files side by side.
  const auto page = dom_of(out / "index.html", out.string() + "-chromium");
  for (const auto& [id, student] : expected.at("students").items()) {
    EXPECT_NE(page.find("<a href=\"students/" + id + ".html\">" + student.at("full_name").get<std::string>()),
              std::string::npos)
      << id;
  }
  EXPECT_NE(page.find("<svg class=\"histogram\""), std::string::npos);
  EXPECT_NE(page.find("<rect class=\"bar\""), std::string::npos);
  const std::string near_copy = "similarity/page_alloc/109--110.html";
  ASSERT_NE(page.find("href=\"" + near_copy + "\""), std::string::npos) << "no link to " << near_copy;
  const auto view = dom_of(out / near_copy, out.string() + "-chromium");
  EXPECT_NE(view.find("<h1>page_alloc: 109 and 110, "), std::string::npos) << view.substr(0, 2000);
  EXPECT_NE(view.find("<table class=\"view\">"), std::string::npos);
  EXPECT_NE(view.find("<tr class=\"m0\">"), std::string::npos) << "no matching region marked";
  fs::remove_all(out.string() + "-chromium");
  const std::string threshold = std::to_string(want_similar.at("threshold").get<int>());
  EXPECT_NE(resumed.output.find("similar submissions (at least " + threshold + "%, see similarity.csv):"),
            std::string::npos)
    << resumed.output;
  const auto compared = nlohmann::json::parse(read_text(out / "similarity.json"), nullptr, false);
  EXPECT_TRUE(compared.is_object()) << "no similarity.json";
  if (compared.is_object()) {
    EXPECT_EQ(compared.value("min_run", 0), want_similar.at("min_run").get<int>());
  }
  EXPECT_TRUE(fs::exists(out / "sources" / "110" / "kmem_alloc.c"));
  const std::string similarity_csv = read_text(out / "similarity.csv");

  for (const auto& [id, want] : expected.at("students").items()) {
    const auto report = nlohmann::json::parse(read_text(out / "reports" / (id + ".json")));
    EXPECT_EQ(report.at("student").at("full_name"), want.at("full_name")) << id;
    EXPECT_DOUBLE_EQ(report.at("score").get<double>(), want.at("score").get<double>()) << id;
    for (const auto& ex : report.at("exercises")) {
      for (const auto& c : ex.at("checks")) {
        if (c.at("status") != "manual") {
          EXPECT_EQ(c.at("status"), want.at("checks").at(c.at("id").get<std::string>())) << id << " " << c.at("id");
        }
      }
    }
  }
  auto worksheet = kmgrade::report::parse_csv(read_text(out / "moodle-grades.csv"));
  ASSERT_EQ(worksheet.size(), expected.at("worksheet").size());
  EXPECT_EQ(worksheet[0], (std::vector<std::string>{"Identifier", "Full name", "Grade", "Maximum Grade",
                                                    "Last modified (grade)", "Feedback comments"}));
  for (std::size_t i = 0; i < worksheet.size(); ++i) {
    ASSERT_EQ(worksheet[i].size(), 6u);
    std::vector<std::string> first_four(worksheet[i].begin(), worksheet[i].begin() + 4);
    EXPECT_EQ(first_four, expected.at("worksheet")[i].get<std::vector<std::string>>());
    if (i > 0) {
      EXPECT_FALSE(worksheet[i][5].empty());
    }
  }

  auto rerun = kmgrade::util::run_process(batch_args(out), opts);
  ASSERT_EQ(rerun.exit_code, 0) << rerun.output;
  EXPECT_NE(rerun.output.find("0 graded now, " + std::to_string(students) + " unchanged"), std::string::npos)
    << rerun.output;
  EXPECT_NE(rerun.output.find("moodle-grades.csv gives grades out of 8: "), std::string::npos) << rerun.output;
  EXPECT_NE(rerun.output.find("moodle-grades.csv has " + std::to_string(worksheet.size() - 1) +
                              " rows, one for each student with a report; if Moodle already has grades for some of "
                              "them, tick \"Allow updating records"),
            std::string::npos)
    << rerun.output;
  EXPECT_EQ(read_text(out / "similarity.csv"), similarity_csv) << "a rerun of the same class compares the same";

  // The TA's worksheet from Moodle, filled in from the same reports.
  auto args = batch_args(out);
  args.insert(args.end(), {"--worksheet", g_worksheet});
  auto filled = kmgrade::util::run_process(args, opts);
  ASSERT_EQ(filled.exit_code, 0) << filled.output;
  EXPECT_NE(filled.output.find("grades out of its maximum grade 100.00; 1 participant without a report keeps the row "
                               "as it was"),
            std::string::npos)
    << filled.output;
  // 103 has a grade in the worksheet Moodle exported: the summary warns that Moodle may skip it.
  EXPECT_NE(filled.output.find("kmgrade filled " + std::to_string(expected.at("worksheet_grades").size()) +
                               " rows of moodle-grades.csv; Moodle had graded 1 of them already."),
            std::string::npos)
    << filled.output;
  const std::string original = read_text(g_worksheet);
  const std::string written = read_text(out / "moodle-grades.csv");
  EXPECT_EQ(written.substr(0, written.find('\n')), original.substr(0, original.find('\n')));
  const auto sheet = kmgrade::report::parse_worksheet(written, "moodle-grades.csv");
  const auto before_fill = kmgrade::report::parse_worksheet(original, g_worksheet);
  ASSERT_EQ(sheet.rows.size(), before_fill.rows.size());
  for (std::size_t i = 0; i < sheet.rows.size(); ++i) {
    const auto& row = sheet.rows[i];
    const auto want = expected.at("worksheet_grades").find(row.participant);
    if (want == expected.at("worksheet_grades").end()) {
      EXPECT_EQ(row.text, before_fill.rows[i].text) << "participant " << row.participant << " has no submission";
      continue;
    }
    EXPECT_EQ(row.fields[sheet.grade], want->get<std::string>()) << row.participant;
    const std::string& feedback = row.fields[*sheet.feedback];
    EXPECT_NE(feedback.find("<ul><li>ex0 Team members: "), std::string::npos) << feedback;
    EXPECT_EQ(feedback.find('\n'), std::string::npos) << feedback;
    if (row.participant == "103") {
      EXPECT_EQ(feedback.rfind("<p>See me about pinning the thread.</p><hr><p><strong>6 of 8 points</strong>", 0), 0u)
        << "the TA's own feedback must be kept: " << feedback;
    }
    EXPECT_EQ(row.fields[sheet.columns.size() - 2], before_fill.rows[i].fields[sheet.columns.size() - 2])
      << "Last modified (grade) of " << row.participant << " must stay as Moodle wrote it";
  }
  fs::remove_all(out);
  ::umask(saved_umask);
}

// A worksheet missing a student of the class is refused before anything is graded.
TEST(EndToEndBatch, AWorksheetOfAnotherClassIsRefusedBeforeGrading)
{
  const fs::path base = fs::temp_directory_path() / ("kmgrade-e2e-sheet-" + std::to_string(::getpid()));
  fs::remove_all(base);
  fs::create_directories(base);
  std::string sheet = read_text(g_worksheet);
  const auto row = sheet.find("\"Participant 105\"");
  ASSERT_NE(row, std::string::npos);
  sheet.erase(row, sheet.find('\n', row) + 1 - row);
  std::ofstream(base / "other.csv", std::ios::binary) << sheet;
  kmgrade::util::ProcessOptions opts;
  opts.max_output = 16 << 20;
  auto r = kmgrade::util::run_process(
    {g_kmgrade, "batch", g_class, "--out", (base / "out").string(), "--worksheet", (base / "other.csv").string()},
    opts);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("kmgrade: error: the grading worksheet " + (base / "other.csv").string() +
                          " has no row for 1 of the 9 students of the class: Barbara Liskov (105). Download the "
                          "worksheet and the submissions from the same assignment"),
            std::string::npos)
    << r.output;
  EXPECT_FALSE(fs::exists(base / "out" / "reports" / "101.json"));
  EXPECT_FALSE(fs::exists(base / "out" / ".scratch")) << "the refused batch left the class unpacked";
  fs::remove_all(base);
}

} // namespace

// A grade that fails (here: a VM allowed 2 s, too short to boot) keeps the work folder its
// message names, outside the scratch folder the batch clears, until the student is graded.
TEST(EndToEndBatch, AFailedGradeKeepsTheConsoleLogItsMessageNames)
{
  const fs::path base = fs::temp_directory_path() / ("kmgrade-e2e-failed-" + std::to_string(::getpid()));
  const fs::path out = base / "out";
  fs::remove_all(base);
  fs::create_directories(base / "class" / "Ada Lovelace_101_assignsubmission_file_");
  fs::copy(g_student, base / "class" / "Ada Lovelace_101_assignsubmission_file_", fs::copy_options::recursive);
  kmgrade::util::ProcessOptions opts;
  opts.max_output = 16 << 20;
  auto r = kmgrade::util::run_process(
    {g_kmgrade, "batch", (base / "class").string(), "--out", out.string(), "--vm-timeout", "2"}, opts);
  ASSERT_EQ(r.exit_code, 4) << r.output;
  EXPECT_FALSE(fs::exists(out / ".scratch"));
  const std::string said = "the end of its console is in ";
  const auto at = r.output.find(said);
  ASSERT_NE(at, std::string::npos) << r.output;
  const auto from = at + said.size();
  const fs::path console = r.output.substr(from, r.output.find('\n', from) - from);
  EXPECT_EQ(console.string().rfind((out / "failed").string() + "/", 0), 0u) << console;
  EXPECT_EQ(console.filename(), "console.log");
  EXPECT_TRUE(fs::is_regular_file(console)) << console;
  fs::remove_all(base);
}

int main(int argc, char** argv)
{
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 8) {
    std::fprintf(stderr,
                 "usage: e2e_batch KMGRADE CLASS.zip MANUAL.csv EXPECTED.json STUDENT_FOLDER WORKSHEET.csv CHROMIUM\n");
    return 2;
  }
  g_kmgrade = argv[1];
  g_class = argv[2];
  g_manual = argv[3];
  g_expected = argv[4];
  g_student = argv[5];
  g_worksheet = argv[6];
  g_chromium = argv[7];
  return RUN_ALL_TESTS();
}
