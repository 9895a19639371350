#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace kmgrade::build {

// What one compile of untrusted code may use before it is stopped.
struct BuildLimits
{
  std::chrono::seconds wall{120};
  std::uint64_t cpu_seconds = 60;          // per process (cc1, ld, modpost)
  std::uint64_t memory_bytes = 2ULL << 30; // address space per process
  std::uint64_t file_bytes = 64ULL << 20;  // the largest file a process may write
  std::size_t output_bytes = 256 * 1024;   // compiler output kept for the report
};

// Where the scratch folder is inside the build sandbox, and the sandbox's working folder.
// A fixed, plain path: the host's path of the scratch folder (an output folder named
// "Lab 5 grades", a student folder "Åsa Ödegård_101_...", a ':' or '%') never reaches Kbuild.
inline constexpr const char* k_sandbox_scratch = "/build";

// `argv` wrapped in bubblewrap: no network, no other namespaces shared with the host, no
// capabilities, an unprivileged user, and a filesystem that holds only the toolchain
// (/usr/bin, /usr/lib), the kernel headers (the folder holding the canonical
// `kernel_build_dir`: run make -C on that canonical path) read-only, and `scratch` writable
// at k_sandbox_scratch, where `argv` starts. /etc, /home, /root, the grader's own files and
// other students' folders do not exist inside.
std::vector<std::string> sandboxed_command(const std::vector<std::string>& argv,
                                           const std::filesystem::path& kernel_build_dir,
                                           const std::filesystem::path& scratch);

// Throws Error saying what to install or allow when bubblewrap cannot run a program here.
void check_build_sandbox(const std::filesystem::path& kernel_build_dir);

} // namespace kmgrade::build
