#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace kmgrade::util {

struct ProcessOptions
{
  std::filesystem::path cwd;               // empty: the caller's
  std::chrono::milliseconds timeout{0};    // 0: none; on expiry the whole process group is killed
  std::size_t max_output = 1 << 20;        // bytes of combined stdout+stderr kept
};

struct ProcessResult
{
  int exit_code = -1;     // -1 when killed by a signal or not started
  bool timed_out = false;
  std::string output;     // stdout and stderr, interleaved as written, capped
  bool output_cut = false;
};

// Runs argv[0] (looked up in PATH) in a process group of its own and waits for it.
// Throws Error only when the program cannot be started at all.
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// Absolute path of a program in PATH, or empty.
std::filesystem::path find_program(const std::string& name);

} // namespace kmgrade::util
