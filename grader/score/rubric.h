#pragma once

#include "observe/observation.h"
#include "observe/user_steps.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kmgrade::score {

// A module parameter the lab loads its modules with: `name=value` on insmod's command line.
struct ParamSpec
{
  std::string name;          // "count"
  std::string type;          // as modinfo's parmtype says it: "uint", "int", "ulong", "long", "bool", "charp"
  std::string default_value; // what the module must use when loaded without it
};

// The parameter values of one load, in the order the lab declares its parameters; a
// parameter left out is not passed (the module uses its default).
using LoadParams = std::vector<std::pair<std::string, std::string>>;

struct TimingRule
{
  std::string param;                   // the parameter the timing table varies; empty: the lab times nothing
  std::vector<unsigned> values;        // the loads the timing table and check cover
  std::vector<unsigned> report_values; // of those, the ones the lab asks students to time in their report
  double max_ratio = 20;               // reported may exceed traced by this factor ...
  std::uint64_t slack_ns = 0;          // ... plus this much
  std::uint64_t resolution_ns = 0;     // reported may fall short of traced by this much (trace clock is in us)
  std::uint64_t tick_ns = 4000000;     // one jiffy on the sandbox kernel
  std::string chart_title;             // "Time against <param>" by default
  std::string chart_x_axis;            // the parameter's name by default
};

// One load of a module: its parameters and, for a load the lab names, what user space does
// while the module is loaded. The reference's load with the same name runs the same steps.
struct LoadSpec
{
  std::string name;                     // "" for a load of parameters only; else unique in the module ("echo")
  LoadParams params;                    // as insmod gets them
  std::vector<observe::UserStep> steps; // empty for an unnamed load
};

// How a transcript check compares the student's read steps with the reference's.
enum class CompareMode {
  exact,     // byte for byte
  lines,     // the same lines in the same order; a missing or extra newline at the very end aside
  substring, // every line the reference read appears somewhere in what the student read
};

const char* to_string(CompareMode mode);

// One module of the lab: the file a student hands in and how it is exercised.
struct ModuleSpec
{
  std::string id;              // "hello"
  std::string file;            // "hello.c"
  std::string module_name;     // "kmlab_hello": never the name of built-in kernel code
  std::vector<LoadSpec> loads; // each load of the checks, in order

  // The load named `name`, or nullptr.
  const LoadSpec* load(const std::string& name) const;
  std::vector<std::string> work_events; // the events the timed work produces
  std::vector<std::string> identify_by; // calls that recognise a renamed file
  std::vector<std::string> removes;     // paths the module must have removed once rmmod returns ("/proc/list")
};

// Events the kernel makes in a module's thread that are not the module's work: the event,
// and for each field the values that mark it (every field must have one of its values).
struct ForeignEvent
{
  std::string event; // the tracepoint's name, without its subsystem
  std::map<std::string, std::vector<std::string>> fields;
};

// What a scenario test expects of one step's result, in the terms of the shell tests a
// course's checker runs: `echo x > f` succeeded, `cat f | grep x` found it, `wc -l` counted.
struct StepExpectation
{
  enum class Kind {
    succeeds,            // write: all the bytes written (echo exits 0); read: no error (cat exits 0); stat: found
    fails,               // the call failed, with any errno
    fails_with,          // ... with the errno named in `text` ("EIO")
    not_fails_with,      // anything but a failure with that errno
    is_type,             // stat: the file is of type `text` ("dir", "file")
    contains,            // read: `text` (or each of `lines`) is in what was read (grep finds it)
    lacks,               // read: it is not (none of them is)
    newlines,            // read: exactly `count` newline characters (what `wc -l` counts)
    lines_with,          // read: exactly `count` lines hold `text` (`grep text | wc -l`)
    first_line_contains, // read: the first line holds `text` (`head -n 1 | grep text`)
    last_line_contains,  // read: the last line holds `text` (`tail -n 1 | grep text`)
    lines,               // read: the lines, each without spaces around it, are `lines`
    same_as_reference,   // the reference module's same step gave the same, compared by `compare`
    format_as_reference, // read: byte for byte the reference's wherever it holds the same names
  };
  Kind kind = Kind::succeeds;
  std::string text;
  long long count = 0;
  std::vector<std::string> lines;
  CompareMode compare = CompareMode::exact;
};

// One test of a scenario check: a fresh load of the module (a named load with steps), and what
// one of its steps must give. A course's own checker names its tests: the test keeps the name,
// so a student can set the two reports side by side.
struct ScenarioTest
{
  std::string name;       // "addf_print_once"
  std::string printed_as; // what the course's checker prints for it, when that is not `name`
  double points = 0;      // its share of the check's points, and of the course checker's score
  std::string load;       // the named load it reads
  std::size_t step = 0;   // 1-based, in that load's steps
  // Instead of one load's step: every read of this path in every named load of the module,
  // each against the reference's same read.
  std::string every_read_of;
  StepExpectation expect;
  // How the course's checker decides the test when it decides it otherwise than `expect` (a
  // test that re-reads a stale variable); empty when the same.
  std::optional<StepExpectation> official_expect;
  bool official = false; // part of the course checker's score
};

struct RubricCheck
{
  std::string id; // "<module>.<check>" or "manual.<item>"
  double points = 0;
  bool manual = false;
  std::string message;                      // for manual items: what the person looks for
  CompareMode compare = CompareMode::exact; // transcript checks: how steps' reads are compared
  // A scenario check: its points are shared among these tests by their points.
  std::vector<ScenarioTest> tests;
};

// The course's own checker, whose score a lab's scenario tests reproduce beside kmgrade's.
struct OfficialChecker
{
  std::string name;     // "the course's checker (checker/_checker)"
  double max_score = 0; // its total, which the official tests' points add up to
};

struct Exercise
{
  std::string id;
  std::string title;
  std::vector<RubricCheck> checks;
};

// The minimum runs (in tokens) a rubric's similarity.min_run or --similarity-min-run may give
// sim_c: a run of one token matches anything, and these files are a few hundred tokens long.
constexpr int k_min_run_least = 2;
constexpr int k_min_run_most = 200;

struct Rubric
{
  std::string id;
  std::string title;
  std::string sha256;
  // The reference solution's folder: the lab file's "reference", relative to the lab file.
  std::filesystem::path reference_dir;
  double max_score = 0;
  std::vector<ParamSpec> params;
  std::map<std::string, long long> facts; // numbers only the lab's own checks read ("struct_size")
  // What the module's thread must print, in the lab's words, with its value: a parameter's
  // default or a fact ("count", 3).
  std::vector<std::pair<std::string, unsigned long long>> printed;
  // What the lab asks of the sandbox: rebuild a file that uses removed kernel APIs with the
  // compatibility header; boot with slub_debug, which catches double frees and corruption.
  bool compat_header = false;
  bool slub_debug = false;
  // How long a module that starts no thread is given before its steps: the default waits for
  // work an init function leaves to a timer; a lab whose modules leave none says 0.
  int threadless_settle_ms = 150;
  std::string lab_checks;               // the name of the checks of its own kmgrade has for this lab; may be empty
  double points_on_shimmed_build = 1.0; // share of a check's points earned on a compatibility build
  TimingRule timing;
  int similarity_threshold = 60; // percent at which two students' files are flagged as alike
  int similarity_min_run = 24;   // sim_c's minimum run in tokens (its own default when unset)
  std::vector<ModuleSpec> modules;
  std::vector<std::string> identify_order; // module ids: who takes a file that fits several
  std::vector<std::string> trace_events;
  std::vector<std::string> trace_functions;
  std::vector<std::string> module_calls;              // functions whose calls from the module's own code are kept
  std::vector<std::string> activity_events;           // "kmem:kmalloc": events that show the module at work
  std::vector<observe::AllocationEvents> allocations; // what no-leak matches, and what a thread holds
  std::vector<ForeignEvent> foreign_events;
  std::vector<Exercise> exercises;
  std::optional<OfficialChecker> official;

  const ModuleSpec* module(const std::string& id) const;
  const RubricCheck* check(const std::string& id) const;
  const ParamSpec* param(const std::string& name) const;
  // The modules in identify_order, then any it leaves out, in file order.
  std::vector<const ModuleSpec*> modules_by_identify_order() const;
  double auto_max() const;
  // The CPUs the lab's checks need online: two when one watches a thread pinned to one CPU.
  unsigned cpus_needed() const;
  double manual_max() const;
};

// The parameters as insmod takes them: "name=value" for each, separated by spaces.
std::string params_text(const LoadParams& params);

// Parses and validates a rubric read from the file `origin`: unknown modules in check ids, automatic checks kmgrade does
// not have, points that do not add up to max_score and duplicate ids are errors. Throws Error naming `origin` and what is wrong.
Rubric parse_rubric(const std::string& text, const std::string& origin);

// Reads a rubric file; throws Error when it cannot be read or is invalid.
Rubric load_rubric(const std::filesystem::path& path);

} // namespace kmgrade::score
