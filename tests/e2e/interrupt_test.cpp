// Ctrl-C in the middle of a batch, as a TA presses it: the running grades stop, their VMs and
// scratch go, the students graded so far keep their reports, and the last line says so.
//
//   e2e_interrupt KMGRADE CLASS_ZIP CLASS_EXPECTED_JSON

#include "util/files.h"
#include "util/process.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

namespace fs = std::filesystem;
using kmgrade::util::read_file;

namespace {

std::string g_kmgrade;
std::string g_class;
std::size_t g_students = 0;

std::size_t reports_in(const fs::path& out)
{
  std::size_t n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(out / "reports", ec)) {
    n += e.path().extension() == ".json";
  }
  return n;
}

// Whether a sandbox of the batch is running a student's loads: its channel has the agent's
// answers (not only its request for the plan).
bool loads_running(const fs::path& out)
{
  // Scratch folders come and go while the batch runs: the non-throwing increment is needed.
  std::error_code ec;
  for (fs::recursive_directory_iterator it(out / ".scratch", ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename() == "channel.log" && it->file_size(ec) > 0 &&
        read_file(it->path()).find("KMG ") != std::string::npos) {
      return true;
    }
  }
  return false;
}

} // namespace

TEST(Interrupt, CtrlCStopsTheRunningGradesAndKeepsTheFinishedOnes)
{
  const fs::path out = fs::temp_directory_path() / ("kmgrade-e2e-interrupt-" + std::to_string(::getpid()));
  fs::remove_all(out);
  fs::create_directories(out);
  const fs::path stdout_file = out.string() + ".stdout";
  const fs::path stderr_file = out.string() + ".stderr";
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::freopen(stdout_file.c_str(), "w", stdout);
    ::freopen(stderr_file.c_str(), "w", stderr);
    ::execl(g_kmgrade.c_str(), g_kmgrade.c_str(), "batch", g_class.c_str(), "--out", out.c_str(), "--jobs", "2",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Once one student is graded and another's loads are running.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
  while (!(reports_in(out) >= 1 && loads_running(out)) && std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, WNOHANG), 0) << "the batch ended before it could be interrupted";
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ::kill(pid, SIGINT);
  const auto sent = std::chrono::steady_clock::now();
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
  ASSERT_TRUE(WIFEXITED(status)) << "killed by the signal rather than stopping";
  EXPECT_EQ(WEXITSTATUS(status), 130);
  // The grades in flight are stopped, not finished: a whole grade takes 20 s or more here.
  EXPECT_LT(took, 15) << "stopping took " << took << " s";

  const std::size_t graded = reports_in(out);
  const std::string said = read_file(stdout_file);
  EXPECT_NE(said.find("kmgrade: stopped. " + std::to_string(graded) + " of " + std::to_string(g_students) +
                      " students are graded (" + std::to_string(graded) +
                      " in this run); run the same command "
                      "again to grade the other " +
                      std::to_string(g_students - graded) + ": graded students are not graded again\n"),
            std::string::npos)
    << said;
  EXPECT_NE(read_file(stderr_file).find("kmgrade: stopping the running grades...\n"), std::string::npos);
  EXPECT_LT(graded, g_students);
  for (const auto& e : fs::directory_iterator(out / "reports")) {
    const auto report = nlohmann::json::parse(read_file(e.path()));
    EXPECT_TRUE(report.contains("score")) << e.path();
  }
  EXPECT_FALSE(fs::exists(out / ".scratch")) << "the stopped grades' scratch is removed";
  EXPECT_FALSE(fs::exists(out / "failed")) << "a stopped grade is not a failed one";
  EXPECT_FALSE(fs::exists(out / "summary.csv")) << "no class files for half a class";
  auto pgrep = kmgrade::util::run_process({"pgrep", "-f", "qemu-system-x86_64.*" + out.string()});
  EXPECT_NE(pgrep.exit_code, 0) << "a VM of the stopped batch is still running:\n" << pgrep.output;
  fs::remove_all(out);
  fs::remove(stdout_file);
  fs::remove(stderr_file);
}

int main(int argc, char** argv)
{
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 4) {
    std::fprintf(stderr, "usage: e2e_interrupt KMGRADE CLASS_ZIP CLASS_EXPECTED_JSON\n");
    return 2;
  }
  g_kmgrade = argv[1];
  g_class = argv[2];
  g_students = nlohmann::json::parse(read_file(argv[3])).at("students").size();
  return RUN_ALL_TESTS();
}
