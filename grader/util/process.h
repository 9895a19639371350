#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace kmgrade::util {

// Per-process kernel limits (setrlimit), inherited by everything the program starts.
struct ResourceLimits
{
  std::uint64_t cpu_seconds = 0;  // 0: none
  std::uint64_t memory_bytes = 0; // address space
  std::uint64_t file_bytes = 0;   // the largest file a process may write
};

struct ProcessOptions
{
  std::filesystem::path cwd;            // empty: the caller's
  std::chrono::milliseconds timeout{0}; // 0: none; on expiry the whole process group is killed
  std::size_t max_output = 1 << 20;     // bytes of combined stdout+stderr kept: 3/4 head, 1/4 tail
  ResourceLimits limits;
  // Asked every poll_interval while the program runs; false stops it (the whole group).
  std::function<bool()> keep_going;
  std::chrono::milliseconds poll_interval{500};
  // Told the program's pid once it is started.
  std::function<void(int pid)> started;
};

struct ProcessResult
{
  int exit_code = -1; // -1 when killed by a signal or not started
  bool timed_out = false;
  bool stopped = false; // keep_going said to stop it
  std::string output;   // stdout and stderr, interleaved as written; when capped, head and tail with a marker
  bool output_cut = false;
};

// Runs argv[0] (looked up in PATH) in a process group of its own and waits for it.
// Throws Error only when the program cannot be started at all.
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// Absolute path of a program in PATH, or empty.
std::filesystem::path find_program(const std::string& name);

} // namespace kmgrade::util
