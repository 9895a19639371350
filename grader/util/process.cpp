#include "util/process.h"

#include "observe/head_and_tail.h"
#include "util/error.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

namespace kmgrade::util {

std::filesystem::path find_program(const std::string& name)
{
  if (name.find('/') != std::string::npos) {
    return name;
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  std::size_t pos = 0;
  while (pos <= dirs.size()) {
    auto colon = dirs.find(':', pos);
    std::filesystem::path candidate =
      std::filesystem::path(dirs.substr(pos, colon == std::string::npos ? std::string::npos : colon - pos)) / name;
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    if (colon == std::string::npos) {
      break;
    }
    pos = colon + 1;
  }
  return {};
}

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options)
{
  auto program = find_program(argv.at(0));
  if (program.empty()) {
    throw Error("cannot run " + argv.at(0) + ": not found in PATH (run scripts/setup to install it)");
  }
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) {
    throw Error(std::string("cannot run ") + argv[0] + ": pipe: " + std::strerror(errno));
  }
  // Everything the child needs is made before fork: another thread may hold malloc's lock.
  std::vector<char*> args;
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    throw Error(std::string("cannot run ") + argv[0] + ": fork: " + std::strerror(err));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    // A program the grader started (QEMU above all) must not outlive the grader.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::dup2(pipefd[1], STDOUT_FILENO);
    ::dup2(pipefd[1], STDERR_FILENO);
    int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, STDIN_FILENO);
    if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) {
      ::_exit(127);
    }
    // The hard limit one above the soft one: SIGXCPU comes first, so the tool's parent can
    // say "CPU time limit exceeded" rather than only "Killed".
    auto limit = [](int resource, std::uint64_t value) {
      if (value > 0) {
        rlimit rl{value, value + 1};
        if (::setrlimit(resource, &rl) != 0) {
          ::_exit(127);
        }
      }
    };
    limit(RLIMIT_CPU, options.limits.cpu_seconds);
    limit(RLIMIT_AS, options.limits.memory_bytes);
    limit(RLIMIT_FSIZE, options.limits.file_bytes);
    ::execv(program.c_str(), args.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  ::close(pipefd[1]);
  if (options.started) {
    options.started(pid);
  }

  ProcessResult result;
  // The head says how it started and the tail how it ended (a tool's last words as it was killed).
  observe::HeadAndTailKeeper<std::string> output({options.max_output, options.max_output - options.max_output / 4});
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  char buf[65536];
  for (;;) {
    int wait_ms = -1;
    if (options.timeout.count() > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        result.timed_out = true;
        ::kill(-pid, SIGKILL);
        break;
      }
      wait_ms = static_cast<int>(left.count());
    }
    if (options.keep_going) {
      if (!options.keep_going()) {
        result.stopped = true;
        ::kill(-pid, SIGKILL);
        break;
      }
      const int every = static_cast<int>(options.poll_interval.count());
      wait_ms = wait_ms < 0 ? every : std::min(wait_ms, every);
    }
    pollfd pfd{pipefd[0], POLLIN, 0};
    int rc = ::poll(&pfd, 1, wait_ms);
    if (rc < 0 && errno == EINTR) {
      continue;
    }
    if (rc == 0) {
      continue;
    }
    ssize_t n = ::read(pipefd[0], buf, sizeof buf);
    if (n <= 0) {
      break;
    }
    output.append(buf, buf + n);
  }
  result.output = output.take_head();
  result.output_cut = output.cut() > 0;
  if (result.output_cut) {
    result.output += "\n[... " + std::to_string(output.cut()) + " bytes of output cut ...]\n";
  }
  result.output += output.take_tail();
  ::close(pipefd[0]);
  // A program may close its output and go on running: the same time limit and keep_going
  // apply until it exits.
  int status = 0;
  std::chrono::milliseconds pause(1);
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid || (done < 0 && errno != EINTR)) {
      break;
    }
    if (done == 0 && !result.timed_out && !result.stopped) {
      if (options.timeout.count() > 0 && std::chrono::steady_clock::now() >= deadline) {
        result.timed_out = true;
        ::kill(-pid, SIGKILL);
      } else if (options.keep_going && !options.keep_going()) {
        result.stopped = true;
        ::kill(-pid, SIGKILL);
      }
    }
    // Most programs are reaped at once; one that lingers is polled less and less often.
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(100));
  }
  // Children the program left behind in its group must not outlive it.
  ::kill(-pid, SIGKILL);
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  }
  return result;
}

} // namespace kmgrade::util
