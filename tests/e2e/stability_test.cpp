// Grades a lab's reference solution and a correct sample of it several times, two at a time,
// while a busy loop runs on every core: every round must give every automatic check a pass,
// so the same verdicts each time, whatever the scheduling.
//
//   e2e_stability KMGRADE REFERENCE_DIR CORRECT_DIR ROUNDS

#include "util/files.h"
#include "util/process.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

namespace fs = std::filesystem;

namespace {

std::string g_kmgrade, g_reference, g_correct;
int g_rounds = 3;

// One process spinning per core for as long as it lives, at nice 10: it takes CPU time from
// the VMs' vCPU threads whenever they run, so the guests' threads are preempted and moved at
// other moments on every run, but it does not starve QEMU past the sandbox's wall-clock
// limits, which would test those limits instead of the verdicts.
class CpuLoad
{
public:
  CpuLoad()
  {
    for (unsigned i = 0; i < std::max(1u, std::thread::hardware_concurrency()); ++i) {
      const pid_t pid = ::fork();
      if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL); // never outlive the test
        if (::nice(10) == -1) {
          ::_exit(1);
        }
        volatile int spin = 0; // read each time round: the loop is not optimised away
        while (spin == 0) {
        }
      }
      if (pid > 0) {
        m_pids.push_back(pid);
      }
    }
  }
  CpuLoad(const CpuLoad&) = delete;
  CpuLoad& operator=(const CpuLoad&) = delete;
  ~CpuLoad()
  {
    for (pid_t pid : m_pids) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  std::size_t size() const { return m_pids.size(); }

private:
  std::vector<pid_t> m_pids;
};

// A class folder as Moodle hands it over: one student with the reference's files, one with
// the correct sample's.
std::map<std::string, std::string> make_class(const fs::path& dir)
{
  const std::map<std::string, std::pair<std::string, std::string>> students = {
    {"101", {"Reference Solution_101_assignsubmission_file_", g_reference}},
    {"102", {"Correct Sample_102_assignsubmission_file_", g_correct}}};
  std::map<std::string, std::string> names;
  for (const auto& [id, folder_and_source] : students) {
    const auto& [folder, source] = folder_and_source;
    fs::create_directories(dir / folder);
    // What a student hands in: the sources and headers, whatever the lab.
    for (const auto& file : fs::directory_iterator(source)) {
      const auto ext = file.path().extension();
      if (file.is_regular_file() && (ext == ".c" || ext == ".h")) {
        fs::copy_file(file.path(), dir / folder / file.path().filename());
      }
    }
    names[id] = source;
  }
  return names;
}

// Every automatic check's status in a report.
std::map<std::string, std::string> verdicts(const nlohmann::json& report)
{
  std::map<std::string, std::string> out;
  for (const auto& ex : report.at("exercises")) {
    for (const auto& c : ex.at("checks")) {
      if (c.at("status") != "manual") {
        out[c.at("id")] = c.at("status").get<std::string>() + ": " + c.at("message").get<std::string>();
      }
    }
  }
  return out;
}

TEST(EndToEndStability, SameFullVerdictsUnderCpuLoad)
{
  const fs::path work = fs::temp_directory_path() / ("kmgrade-e2e-stability-" + std::to_string(::getpid()));
  fs::remove_all(work);
  const auto students = make_class(work / "class");
  std::map<std::string, std::map<std::string, std::string>> first; // per student, round 1
  CpuLoad load;
  ASSERT_GE(load.size(), 1u);
  for (int round = 1; round <= g_rounds; ++round) {
    const fs::path out = work / ("out-" + std::to_string(round));
    kmgrade::util::ProcessOptions opts;
    opts.max_output = 16 << 20;
    const auto started = std::chrono::steady_clock::now();
    auto r = kmgrade::util::run_process(
      {g_kmgrade, "batch", (work / "class").string(), "--out", out.string(), "--jobs", "2"}, opts);
    const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count();
    std::printf("round %d: %lld s under load of %zu busy loops\n", round, static_cast<long long>(seconds), load.size());
    ASSERT_EQ(r.exit_code, 0) << "round " << round << ":\n" << r.output;
    for (const auto& [id, source] : students) {
      const auto report = nlohmann::json::parse(kmgrade::util::read_file(out / "reports" / (id + ".json")));
      const auto seen = verdicts(report);
      for (const auto& [check, verdict] : seen) {
        EXPECT_EQ(verdict.rfind("pass: ", 0), 0u)
          << "round " << round << ", " << source << ": " << check << " " << verdict;
      }
      EXPECT_DOUBLE_EQ(report.at("score").get<double>(), report.at("auto_max").get<double>())
        << "round " << round << ", " << source;
      if (round == 1) {
        first[id] = seen;
      } else {
        std::map<std::string, std::string> statuses_now;
        std::map<std::string, std::string> statuses_then;
        for (const auto& [check, verdict] : seen) {
          statuses_now[check] = verdict.substr(0, verdict.find(':'));
        }
        for (const auto& [check, verdict] : first[id]) {
          statuses_then[check] = verdict.substr(0, verdict.find(':'));
        }
        EXPECT_EQ(statuses_now, statuses_then) << "round " << round << ", " << source << " differs from round 1";
      }
    }
  }
  fs::remove_all(work);
}

} // namespace

int main(int argc, char** argv)
{
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 5) {
    std::fprintf(stderr, "usage: e2e_stability KMGRADE REFERENCE_DIR CORRECT_DIR ROUNDS\n");
    return 2;
  }
  g_kmgrade = argv[1];
  g_reference = argv[2];
  g_correct = argv[3];
  g_rounds = std::atoi(argv[4]);
  return RUN_ALL_TESTS();
}
