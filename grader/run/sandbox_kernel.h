#pragma once

#include <filesystem>
#include <string>

namespace kmgrade::run {

// The kernel the sandbox boots and the headers student code is built against: one version.
struct SandboxKernel
{
  std::string version;             // "6.1.0-56-amd64"
  std::filesystem::path image;     // /boot/vmlinuz-<version>
  std::filesystem::path build_dir; // /lib/modules/<version>/build
};

// The newest installed kernel that has both an image in /boot and headers. Throws Error
// naming the missing package when there is none, and Error saying to use kmgrade check --host
// on a machine that is not x86-64.
SandboxKernel find_sandbox_kernel();

} // namespace kmgrade::run
