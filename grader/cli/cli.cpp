#include "cli/cli.h"

#include "batch/batch.h"
#include "batch/class_summary.h"
#include "batch/progress_board.h"
#include "labs/catalog.h"
#include "pipeline/grade.h"
#include "run/host_machine.h"
#include "report/student_view.h"
#include "report/timing_chart.h"
#include "report/timing_table.h"
#include "score/rubric.h"
#include "util/error.h"
#include "util/files.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ostream>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#ifndef KMGRADE_VERSION
#define KMGRADE_VERSION "0.0.0"
#endif
#ifndef KMGRADE_SHARE_FROM_BIN
#define KMGRADE_SHARE_FROM_BIN "../share/kmgrade"
#endif
#ifndef KMGRADE_AGENT_FROM_BIN
#define KMGRADE_AGENT_FROM_BIN "../libexec/kmgrade/kmgrade-agent"
#endif

namespace kmgrade::cli {

namespace fs = std::filesystem;

namespace {

fs::path self_dir()
{
  std::error_code ec;
  return fs::read_symlink("/proc/self/exe", ec).parent_path();
}

// A path the user gave, made absolute against the folder kmgrade was started in, once, here:
// every later step may run in another folder (make -C) and must read it the same way. Empty
// stays empty (an option not given).
fs::path from_user(const fs::path& given)
{
  if (given.empty()) {
    return given;
  }
  std::error_code ec;
  fs::path resolved = fs::weakly_canonical(fs::absolute(given), ec);
  return ec ? fs::absolute(given).lexically_normal() : resolved;
}

fs::path default_cache_dir()
{
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    return from_user(xdg) / "kmgrade";
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return from_user(home) / ".cache" / "kmgrade";
  }
  return from_user(fs::temp_directory_path()) / "kmgrade-cache";
}

// --host loads a student's modules into the kernel they are working on: say what that risks,
// after making sure the machine can run the checks at all, and go on only when they agree.
void confirm_host_loads(const kmgrade::score::Rubric& rubric, bool yes, std::ostream& err)
{
  const auto host = kmgrade::run::this_host();
  if (const auto missing =
        kmgrade::run::missing_for_host(host, rubric.trace_events, rubric.trace_functions, rubric.cpus_needed());
      !missing.empty()) {
    throw kmgrade::Error(kmgrade::run::describe_missing(missing));
  }
  if (yes) {
    return;
  }
  const std::string warning =
    "--host loads your modules into the kernel this machine is running (Linux " + host.kernel_release +
    "). A module that oopses or hangs can take the machine down with it, and leaves the kernel tainted until you reboot: save your work first. Without --host the same checks run in a sandbox VM and risk nothing.";
  if (!::isatty(STDIN_FILENO)) {
    throw kmgrade::Error(warning + "\nAdd --yes to go on.");
  }
  err << warning << "\nLoad them now? [y/N] " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  if (answer != "y" && answer != "Y" && answer != "yes") {
    throw kmgrade::Error("nothing was loaded; add --yes to load without asking");
  }
}

// Set by Ctrl-C or SIGTERM: the batch stops its running grades and returns.
std::atomic<bool> g_stop{false};

// On a terminal the batch's board says it is stopping; elsewhere this line does.
bool g_say_stopping = false;

void on_stop_signal(int)
{
  if (!g_stop.exchange(true) && g_say_stopping) {
    static const char message[] = "\nkmgrade: stopping the running grades...\n";
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, message, sizeof message - 1);
  }
}

void stop_on_signals()
{
  struct sigaction action
  {
  };
  action.sa_handler = on_stop_signal;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

} // namespace

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err)
{
  CLI::App app{
    "kmgrade " KMGRADE_VERSION
    ": grades Linux kernel-module labs by loading each module in a sandbox VM and watching what the kernel did (tracepoints, kernel log, /sys/kernel/slab)."};
  app.set_version_flag("--version", KMGRADE_VERSION);
  app.require_subcommand(1);

  // kmgrade's own files are found from its binary, the same way in its build folder and in
  // an installed prefix: the labs in share/kmgrade/, the guest agent in libexec/kmgrade/.
  const fs::path share_dir = (self_dir() / KMGRADE_SHARE_FROM_BIN).lexically_normal();
  kmgrade::pipeline::GradeOptions opts;
  std::string format = "text";
  std::string accel = "auto";
  std::string work_dir;
  const fs::path labs_dir = share_dir / "rubric";
  std::string lab;
  const std::string lab_help =
    "The lab: the id of one of kmgrade's (kmgrade labs lists them), or the path of a lab file kept elsewhere; default: the lab whose files the submission holds";
  std::string submission;
  bool quiet = false;
  int vm_timeout = 0;

  auto* grade = app.add_subcommand(
    "grade",
    "Grade one submission: a folder, or a .zip/.tar/.tar.gz/.tar.xz archive, holding the lab's files (at any depth; kmgrade labs lists them)");
  grade->add_option("PATH", submission, "The student's folder or archive")->required()->check(CLI::ExistingPath);
  grade->add_option("--format", format, "Output: text (a readable summary) or json (the report contract)")
    ->check(CLI::IsMember({"text", "json"}))
    ->capture_default_str();
  grade->add_option("--accel", accel, "Sandbox accelerator: auto (KVM when a test boot proves it works), kvm or tcg")
    ->check(CLI::IsMember({"auto", "kvm", "tcg"}))
    ->capture_default_str();
  grade->add_option("--lab", lab, lab_help)->type_name("ID|FILE");
  grade->add_option("--work-dir", work_dir, "Keep builds, the sandbox image and its console log in this folder");
  grade
    ->add_option(
      "--vm-timeout", vm_timeout,
      "Seconds one boot of the sandbox VM may run before it is stopped; 0: 180 s to start plus 10 s per load it runs")
    ->capture_default_str();
  grade->add_flag(
    "--fresh-reference", opts.fresh_reference,
    "Measure the reference modules' times in this grade instead of reusing those measured earlier on this machine (the report says when and where its reference times were taken)");
  grade->add_flag("-q,--quiet", quiet, "No progress lines on stderr");
  grade->footer(
    "Exit status: 0 when a report was produced (whatever the score), 1 when none could be, 2 for a usage error.");

  std::string check_path = ".";
  std::vector<std::string> check_modules;
  bool verbose = false;
  auto* check = app.add_subcommand(
    "check",
    "For students: check the modules in a folder (default: here) in the sandbox and say what to fix; modules not written yet are listed, not failed. Ends with the lab's table of times for the report, when it has one");
  check->add_option("PATH", check_path, "Your folder or archive")->check(CLI::ExistingPath)->capture_default_str();
  check->add_option("--module", check_modules,
                    "Check only this module of the lab (kmgrade labs lists them); may be given more than once");
  check->add_option("--lab", lab, lab_help)->type_name("ID|FILE");
  check->add_flag("-v,--verbose", verbose,
                  "Show the kernel's evidence (log lines, trace events) for each check that does not pass");
  check
    ->add_option(
      "--format", format,
      "Output: text (what to fix, then the table of times) or json (the report contract, with every timing run's times) on stdout")
    ->check(CLI::IsMember({"text", "json"}))
    ->capture_default_str();
  check
    ->add_option(
      "--runs", opts.timing_runs,
      "Load each module this many times at each value of the timing table and give the median of its times (the reference's too, when it is measured); the checks see the same loads whatever the number")
    ->type_name("N")
    ->check(CLI::Range(1, 20))
    ->capture_default_str();
  std::string table_file;
  check
    ->add_option(
      "--table", table_file,
      "Also save the table of times for your report (printed at the end either way): FILE.csv as CSV, FILE.md as Markdown")
    ->type_name("FILE");
  std::string chart_file;
  check
    ->add_option(
      "--chart", chart_file,
      "Draw your times and the reference's against the timed parameter into FILE.svg or FILE.png (needs gnuplot: sudo apt install gnuplot-nox)")
    ->type_name("FILE");
  check->add_option("--accel", accel, "Sandbox accelerator: auto, kvm or tcg")
    ->check(CLI::IsMember({"auto", "kvm", "tcg"}))
    ->capture_default_str();
  check->add_flag(
    "--host", opts.host,
    "Run the checks on this machine's own kernel instead of the sandbox (as root; needs the headers of the running kernel, tracefs and two CPUs: kmgrade says how to get what is missing)");
  bool yes = false;
  check->add_flag("-y,--yes", yes, "With --host: load the modules without asking first");
  check->add_flag("-q,--quiet", quiet, "No progress lines on stderr");
  check->footer(
    "Exit status: 0 when every check of the modules written so far passes, 3 when one does not, 1 when nothing could be checked, 2 for a usage error; the same with --format json. Colour on a terminal; NO_COLOR turns it off.");

  std::string class_input;
  std::string out_dir;
  int jobs = 1;
  std::string manual;
  std::string gradescope;
  std::string worksheet;
  std::string corpus;
  std::vector<std::string> base_files;
  int similarity_threshold = 0; // 0: not given (the least is 1)
  int similarity_min_run = 0;   // 0: not given (the least is k_min_run_least)
  const CLI::Range min_run_range(kmgrade::score::k_min_run_least, kmgrade::score::k_min_run_most);
  bool no_similarity = false;
  // What the class files are made with: a batch's own, or those of the shards it merges.
  const auto add_class_file_options = [&](CLI::App* command) {
    return std::vector<CLI::Option*>{
      command->add_option("--manual", manual, "Manual points to merge: CSV participant_id,exercise,points,comment"),
      command->add_option("--gradescope", gradescope, "Also write <dir>/<participant id>/results.json for Gradescope"),
      command->add_option(
        "--worksheet", worksheet,
        "Moodle's grading worksheet of the assignment (View all submissions > Grading action > Download grading worksheet): moodle-grades.csv is then this file filled in, grades scaled to its maximum grade"),
      command
        ->add_option(
          "--corpus", corpus,
          "Folder of earlier years' or public solutions: every *.c file under it is compared with the students' files of the module its name names (with all of them when it names none)")
        ->check(CLI::ExistingDirectory),
      command
        ->add_option(
          "--base", base_files,
          "Code every student was given (a template, the assignment's listings): its lines do not count as a match; may be given more than once")
        ->check(CLI::ExistingFile),
      command
        ->add_option(
          "--similarity-threshold", similarity_threshold,
          "Percent at which two students' files are flagged as similar (default: the lab's similarity.threshold)")
        ->check(CLI::Range(1, 100)),
      command
        ->add_option("--similarity-min-run", similarity_min_run,
                     "Shortest run of tokens sim_c counts as a match (default: the lab's similarity.min_run)")
        ->check(min_run_range),
      command->add_flag("--no-similarity", no_similarity, "Do not compare the students' files (needs no sim_c)")};
  };
  auto* batch = app.add_subcommand(
    "batch",
    "Grade a whole class: Moodle's \"Download all submissions\" zip, or a folder of student folders; write a report per student, a summary and a grading worksheet Moodle imports");
  batch->add_option("CLASS", class_input, "The class zip or folder")->required()->check(CLI::ExistingPath);
  batch->add_option("--out", out_dir, "Output folder: reports/<participant id>.json, summary.csv, moodle-grades.csv")
    ->required();
  batch->add_option("-j,--jobs", jobs, "Students graded at once (each in its own VM)")
    ->check(CLI::Range(1, 64))
    ->capture_default_str();
  std::string shard;
  auto* shard_option =
    batch
      ->add_option(
        "--shard", shard,
        "Grade only shard K of N of the class (each student's shard follows from their participant id) into --out, with shard.json; kmgrade merge then writes the class files of all the shards")
      ->type_name("K/N");
  for (auto* class_file_option : add_class_file_options(batch)) {
    shard_option->excludes(class_file_option);
  }
  batch->add_option("--accel", accel, "Sandbox accelerator: auto, kvm or tcg")
    ->check(CLI::IsMember({"auto", "kvm", "tcg"}))
    ->capture_default_str();
  batch->add_option("--lab", lab, lab_help)->type_name("ID|FILE");
  batch->add_option("--vm-timeout", vm_timeout, "Seconds one boot may run; 0: sized to its loads")
    ->capture_default_str();
  bool regrade = false;
  batch->add_flag("--regrade", regrade, "Grade every student again, even those whose report is current");
  batch->add_flag(
    "--fresh-reference", opts.fresh_reference,
    "Measure the reference modules' times again for this batch instead of reusing those measured earlier on this machine");
  std::vector<std::string> shard_dirs;
  bool mixed_accel = false;
  auto* merge = app.add_subcommand(
    "merge",
    "Write the class files of a class graded in shards (kmgrade batch --shard K/N): what kmgrade batch writes, from the shards' reports");
  merge->add_option("SHARD_DIR", shard_dirs, "The --out folder of each shard")
    ->required()
    ->check(CLI::ExistingDirectory);
  merge
    ->add_option(
      "--out", out_dir,
      "Output folder: reports/<participant id>.json, summary.csv, moodle-grades.csv, index.html (may be one of the shards' folders)")
    ->required();
  merge->add_flag(
    "--mixed-accel", mixed_accel,
    "Merge shards graded with different accelerators (KVM on some machines, TCG on others): each report's times stay compared with the reference of its own shard");
  add_class_file_options(merge);
  merge
    ->add_option(
      "--lab", lab,
      "The lab file the shards were graded with, when it is not one of kmgrade's (default: the lab their shard.json names)")
    ->type_name("ID|FILE");
  merge->add_flag("-q,--quiet", quiet, "No progress on stderr");
  merge->footer(
    "Refuses, naming what differs shard by shard, shards that are not of one class download, do not hold every student exactly once, or were graded by another kmgrade build, lab or sandbox kernel; and, without --mixed-accel, with other accelerators. Exit status: 0 when every student has a report, 4 when grading failed for some in their shard (listed at the end), 1 when the shards cannot be merged, 2 for a usage error.");
  auto* similar = app.add_subcommand(
    "similarity",
    "Only compare the students' files of a class, without grading: what kmgrade batch does after grading (similarity.csv, similarity.json and side-by-side views in --out)");
  similar->add_option("CLASS", class_input, "The class zip or folder")->required()->check(CLI::ExistingPath);
  similar->add_option("--out", out_dir, "Output folder (the same as the batch's, to reuse its cache)")->required();
  similar->add_option("--corpus", corpus, "Folder of earlier years' or public solutions (*.c)")
    ->check(CLI::ExistingDirectory);
  similar->add_option("--base", base_files, "Code every student was given: its lines do not count as a match")
    ->check(CLI::ExistingFile);
  auto* similar_threshold = similar
                              ->add_option("--similarity-threshold", similarity_threshold,
                                           "Percent at which a pair is flagged (default: the rubric's)")
                              ->check(CLI::Range(1, 100));
  auto* similar_min_run = similar
                            ->add_option("--similarity-min-run", similarity_min_run,
                                         "Shortest run of tokens sim_c counts as a match (default: the rubric's)")
                            ->check(min_run_range);
  similar->add_option("--lab", lab, lab_help)->type_name("ID|FILE");
  auto* list = app.add_subcommand("labs", "List the labs kmgrade has: id, points, title and the files each asks for");
  batch->add_flag("-q,--quiet", quiet, "No progress on stderr");
  batch->footer(
    "After grading, each module of every student is compared with the same module of every other student (and the --corpus) with sim_c of similarity-tester: similarity.csv lists every pair, flagged pairs get a side-by-side view in similarity/<module>/, and the summary names groups of similar submissions. Similarity never changes a score. A rerun grades only students whose submission, rubric, reference solution, sandbox kernel or kmgrade build changed, so an interrupted batch resumes; --regrade grades everyone again. --shard K/N grades only shard K's students and writes shard.json instead of the class files, which kmgrade merge writes from all the shards. Ctrl-C stops the running grades and removes their scratch; the students graded so far keep their reports. Exit status: 0 when every student has a report, 4 when grading failed for some (listed at the end), 130 when stopped by Ctrl-C or SIGTERM, 1 when the class could not be graded at all, 2 for a usage error.");

  try {
    // CLI11 takes the arguments after the program's name, last first.
    std::vector<std::string> reversed(args.rbegin(), args.rend() - (args.empty() ? 0 : 1));
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return app.exit(e, out, err) == 0 ? 0 : 2;
  }

  try {
    opts.submission = from_user(submission);
    if (list->parsed()) {
      for (const auto& l : kmgrade::labs::list_labs(labs_dir)) {
        std::string files;
        for (const auto& m : l.modules) {
          files += (files.empty() ? "" : ", ") + m.file;
        }
        out << l.id << "\t" << kmgrade::report::format_points(l.max_score) << " points\t" << l.title << "\t" << files
            << "\n";
      }
      return 0;
    }
    // The lab is chosen from what the command grades when --lab does not name it.
    auto lab_file = [&](const std::string& input) {
      return lab.empty() ? kmgrade::labs::lab_for(from_user(input), labs_dir)
                         : from_user(kmgrade::labs::find_lab(lab, labs_dir));
    };
    // A merge grades nothing: its lab is the one the shards name in their shard.json.
    auto shards_lab = [&] {
      const std::string id = kmgrade::batch::read_shard_record(from_user(shard_dirs.front())).lab_id;
      try {
        return kmgrade::labs::find_lab(id, labs_dir);
      } catch (const kmgrade::Error&) {
        throw kmgrade::Error("the shards were graded with the lab " + id +
                               ", which is not one of kmgrade's: give its lab file with --lab FILE",
                             kmgrade::Error::Kind::usage);
      }
    };
    opts.rubric = merge->parsed() && lab.empty() ? shards_lab()
                                                 : lab_file(similar->parsed() || batch->parsed() ? class_input
                                                            : check->parsed()                    ? check_path
                                                                                                 : submission);
    opts.agent = (self_dir() / KMGRADE_AGENT_FROM_BIN).lexically_normal();
    opts.cache_dir = default_cache_dir();
    opts.work_dir = from_user(work_dir);
    opts.accel = kmgrade::run::parse_accel(accel);
    opts.vm_timeout = std::chrono::seconds(vm_timeout);
    if (similar->parsed()) {
      kmgrade::batch::BatchOptions b;
      b.input = from_user(class_input);
      b.out_dir = from_user(out_dir);
      b.grade = opts;
      b.corpus = from_user(corpus);
      for (const auto& f : base_files) {
        b.base_files.push_back(from_user(f));
      }
      if (similar_threshold->count() > 0) {
        b.similarity_threshold = similarity_threshold;
      }
      if (similar_min_run->count() > 0) {
        b.similarity_min_run = similarity_min_run;
      }
      b.summary = &out;
      kmgrade::batch::compare_only(b);
      return 0;
    }
    // The options of a batch and of a merge, which writes the same class files.
    const auto class_options = [&] {
      kmgrade::batch::BatchOptions b;
      b.input = from_user(class_input);
      b.out_dir = from_user(out_dir);
      b.jobs = jobs;
      b.grade = opts;
      b.manual_points = from_user(manual);
      b.gradescope_dir = from_user(gradescope);
      b.worksheet = from_user(worksheet);
      b.regrade = regrade;
      b.similarity = !no_similarity;
      b.corpus = from_user(corpus);
      for (const auto& f : base_files) {
        b.base_files.push_back(from_user(f));
      }
      if (similarity_threshold > 0) {
        b.similarity_threshold = similarity_threshold;
      }
      if (similarity_min_run > 0) {
        b.similarity_min_run = similarity_min_run;
      }
      b.log = quiet ? nullptr : &err;
      b.summary = &out;
      return b;
    };
    if (merge->parsed()) {
      const auto start = std::chrono::steady_clock::now();
      const auto b = class_options();
      std::vector<fs::path> dirs;
      for (const auto& d : shard_dirs) {
        dirs.push_back(from_user(d));
      }
      const auto merged = kmgrade::batch::merge_shards(b, dirs, mixed_accel);
      kmgrade::batch::print_class_summary(
        b,
        fmt::format("{} students from {} shards, {} failed ({})", merged.students, dirs.size(), merged.failed.size(),
                    kmgrade::batch::format_duration(
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count())),
        merged);
      return merged.failed.empty() ? 0 : 4;
    }
    if (batch->parsed()) {
      auto b = class_options();
      const bool sharded = shard_option->count() > 0;
      if (sharded) {
        b.shard = kmgrade::batch::parse_shard(shard);
        b.similarity = false; // the merge compares the class
      }
      b.live_progress = ::isatty(STDERR_FILENO) != 0;
      b.stop = &g_stop;
      g_say_stopping = !b.live_progress && !quiet;
      stop_on_signals();
      if (sharded) {
        const auto result = kmgrade::batch::grade_shard(b);
        if (result.stopped) {
          return 130;
        }
        kmgrade::batch::print_shard_summary(b, result);
        return result.failed.empty() ? 0 : 4;
      }
      const auto result = kmgrade::batch::run_batch(b);
      if (result.grading.stopped) {
        return 130;
      }
      return result.merged.failed.empty() ? 0 : 4;
    }
    if (!quiet) {
      opts.progress = [&err](const std::string& line) { err << "kmgrade: " << line << std::endl; };
    }
    if (check->parsed()) {
      const auto rubric_data = kmgrade::score::load_rubric(opts.rubric);
      std::vector<kmgrade::report::StudentModule> modules;
      for (const auto& m : rubric_data.modules) {
        modules.push_back({m.id, m.file, true});
      }
      for (auto name : check_modules) {
        if (name.size() > 2 && name.compare(name.size() - 2, 2, ".c") == 0) {
          name.resize(name.size() - 2);
        }
        if (!rubric_data.module(name)) {
          std::string known;
          for (const auto& m : rubric_data.modules) {
            known += (known.empty() ? "" : ", ") + m.id;
          }
          throw kmgrade::Error("--module " + name + ": the lab has no such module; it has " + known,
                               kmgrade::Error::Kind::usage);
        }
        opts.modules.insert(name);
      }
      for (auto& m : modules) {
        m.checked = opts.modules.empty() || opts.modules.count(m.id) > 0;
      }
      opts.submission = from_user(check_path);
      // Both are checked before the grade, which a wrong file name or a missing gnuplot would waste.
      const fs::path table = from_user(table_file);
      const auto table_format =
        table.empty() ? kmgrade::report::TableFormat::markdown : kmgrade::report::table_format(table);
      const fs::path chart = from_user(chart_file);
      if (!chart.empty()) {
        kmgrade::report::chart_format(chart);
      }
      if (opts.host) {
        confirm_host_loads(rubric_data, yes, err);
      }
      auto report = kmgrade::pipeline::grade(opts);
      const bool json = format == "json";
      const auto& values = rubric_data.timing.report_values;
      if (json) {
        out << kmgrade::report::to_json_text(kmgrade::report::to_json(report, kmgrade::report::EachRun::yes));
      } else {
        const bool color = ::isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr;
        out << kmgrade::report::student_view(report, modules, {color, verbose}) << "\n"
            << kmgrade::report::timing_table(report, values, kmgrade::report::TableFormat::markdown);
      }
      std::string saved;
      if (!table.empty()) {
        kmgrade::util::write_file_atomically(table, kmgrade::report::timing_table(report, values, table_format));
        saved += "The table is saved in " + table.string() + "\n";
      }
      if (!chart.empty()) {
        kmgrade::report::write_timing_chart(report, values,
                                            {rubric_data.timing.chart_title, rubric_data.timing.chart_x_axis}, chart);
        saved += "The chart is saved in " + chart.string() + "\n";
      }
      if (!json) {
        out << (saved.empty() ? "" : "\n") << saved;
      } else if (!quiet) {
        // Only the JSON goes to stdout.
        err << saved;
      }
      return kmgrade::report::all_checks_pass(report, modules) ? 0 : 3;
    }
    auto report = kmgrade::pipeline::grade(opts);
    if (format == "json") {
      out << kmgrade::report::to_json_text(kmgrade::report::to_json(report));
    } else {
      out << kmgrade::report::to_text(report, ::isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr);
    }
    return 0;
  } catch (const kmgrade::Error& e) {
    err << "kmgrade: error: " << e.what() << "\n";
    return e.kind() == kmgrade::Error::Kind::usage ? 2 : 1;
  } catch (const std::exception& e) {
    // A failure kmgrade did not foresee (a file system error, a malformed report on disk).
    err << "kmgrade: error: " << e.what() << "\n";
    return 1;
  }
}

} // namespace kmgrade::cli
