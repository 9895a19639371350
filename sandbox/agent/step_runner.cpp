#include "step_runner.h"

#include "watchdog.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <new>
#include <thread>

namespace kmgrade::agent {

using observe::StepKind;
using observe::UserStep;
using observe::UserStepResult;

namespace {

// What the child leaves for the agent, in memory both share; the bytes read follow it.
struct Shared
{
  long long result = -1;
  int error_code = 0;
  bool truncated = false;
  bool done = false;
  struct stat st = {};
};

// The child's work. Only async-signal-safe calls: the agent has threads of its own, and a
// child of a threaded process may not allocate or take locks.
[[noreturn]] void child(const UserStep& step, Shared* out, char* buffer)
{
  ::prctl(PR_SET_NAME, k_step_process);
  const char* path = step.path.c_str();
  if (step.kind == StepKind::stat) {
    out->result = ::stat(path, &out->st) == 0 ? 0 : -1;
  } else {
    const int fd = ::open(path, step.kind == StepKind::write ? O_WRONLY : O_RDONLY);
    if (fd < 0) {
      out->result = -1;
    } else if (step.kind == StepKind::write) {
      // One call with every byte, as echo does: a handler that takes part of it is seen so.
      out->result = ::write(fd, step.data.data(), step.data.size());
    } else {
      // Read until end of file like cat, keeping max_bytes: one byte more says there was more.
      std::size_t got = 0;
      const std::size_t want = step.max_bytes + 1;
      long n = 0;
      while (got < want && (n = ::read(fd, buffer + got, want - got)) > 0) {
        got += static_cast<std::size_t>(n);
      }
      out->truncated = got > step.max_bytes;
      out->result = n < 0 ? -1 : static_cast<long long>(out->truncated ? step.max_bytes : got);
    }
    if (out->result < 0) {
      out->error_code = errno;
    }
    if (fd >= 0) {
      ::close(fd);
    }
  }
  if (out->result < 0 && out->error_code == 0) {
    out->error_code = errno;
  }
  out->done = true;
  ::_exit(0);
}

std::string file_type(mode_t mode)
{
  switch (mode & S_IFMT) {
    case S_IFREG:
      return "file";
    case S_IFDIR:
      return "dir";
    case S_IFLNK:
      return "link";
    case S_IFCHR:
      return "char";
    case S_IFBLK:
      return "block";
    case S_IFIFO:
      return "fifo";
    case S_IFSOCK:
      return "socket";
    default:
      return "other";
  }
}

// Waits up to `limit` for the child to exit; true when it did (and was reaped).
bool reaped_within(pid_t pid, std::chrono::milliseconds limit)
{
  const auto until = std::chrono::steady_clock::now() + limit;
  while (true) {
    int status = 0;
    const pid_t got = ::waitpid(pid, &status, WNOHANG);
    if (got == pid || (got < 0 && errno != EINTR)) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= until) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

} // namespace

UserStepResult run_step(const UserStep& step)
{
  UserStepResult r;
  r.kind = step.kind;
  r.path = step.path;
  // A step runs in a process, not a thread of the agent: a handler that blocks for ever in a
  // killable sleep dies with its process, which closes the file, so the module can still be
  // unloaded and the loads after it run. A thread blocked in the kernel could never be
  // stopped, and the file it holds open would make rmmod wait for ever.
  const std::size_t length = sizeof(Shared) + step.max_bytes + 1;
  void* memory = ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) {
    r.error_code = errno;
  } else {
    auto* shared = new (memory) Shared;
    char* buffer = static_cast<char*>(memory) + sizeof(Shared);
    const std::uint64_t t0 = now_ns();
    const pid_t pid = ::fork();
    if (pid == 0) {
      child(step, shared, buffer);
    }
    if (pid < 0) {
      r.error_code = errno;
    } else if (!reaped_within(pid, std::chrono::milliseconds(step.timeout_ms))) {
      r.timed_out = true;
      ::kill(pid, SIGKILL);
      // In an uninterruptible sleep even SIGKILL waits: the process, and the module's file
      // it holds, stay as they are.
      r.stuck = !reaped_within(pid, std::chrono::seconds(1));
    }
    r.duration_ns = now_ns() - t0;
    r.pid = std::max(pid, 0);
    if (pid > 0 && !r.timed_out && shared->done) {
      r.result = shared->result;
      r.error_code = shared->error_code;
      r.truncated = shared->truncated;
      if (step.kind == StepKind::read && r.result > 0) {
        r.data.assign(buffer, static_cast<std::size_t>(r.result));
      }
      if (step.kind == StepKind::stat && r.result == 0) {
        r.type = file_type(shared->st.st_mode);
        r.mode = shared->st.st_mode & 07777;
        r.size = shared->st.st_size;
      }
    } else if (pid > 0 && !r.timed_out) {
      r.error = "the step's process died before it finished";
    }
    // The child's mapping is its own: a stuck child keeps it.
    ::munmap(memory, length);
  }
  if (r.error_code != 0) {
    r.error = std::strerror(r.error_code);
    const char* name = ::strerrorname_np(r.error_code);
    r.errno_name = name ? name : "";
  } else if (r.timed_out) {
    r.error = "did not return";
  }
  return r;
}

} // namespace kmgrade::agent
