#pragma once

#include <filesystem>
#include <string>

namespace kmgrade::agent {

// Where the kernel's files are. In the guest the root is "/"; a host test points it at a
// folder it fills with files standing in for procfs, sysfs, tracefs and the kernel log, the
// way kmod's testsuite fakes the kernel.
struct KernelPaths
{
  std::filesystem::path root = "/";

  std::filesystem::path proc() const { return root / "proc"; }
  std::filesystem::path tracing() const { return root / "sys/kernel/tracing"; }
  std::filesystem::path slab() const { return root / "sys/kernel/slab"; }
  std::filesystem::path kmsg() const { return root / "dev/kmsg"; }
};

// Writes `text` to a file the kernel already provides (a tracefs or procfs control file),
// never creating one: a control file that does not exist is a feature this kernel lacks.
// False when it cannot be opened or the kernel refuses the value.
bool write_kernel_file(const std::filesystem::path& path, const std::string& text, bool append = false);

} // namespace kmgrade::agent
