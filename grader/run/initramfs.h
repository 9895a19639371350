#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace kmgrade::run {

// One file of the guest's root filesystem: copied from `source`, or `data` when source is empty.
struct GuestFile
{
  std::string guest_path; // absolute, e.g. "/init"
  std::filesystem::path source;
  std::string data;
  unsigned mode = 0644;
};

// Writes a gzip-compressed newc cpio archive holding `files` (parent folders are added),
// plus the mount points the agent needs. Throws Error when a source cannot be read or the
// archive cannot be written.
void write_initramfs(const std::filesystem::path& out, const std::vector<GuestFile>& files);

// The shared libraries (and the dynamic loader) `binary` needs, as ldd resolves them on
// this machine. Throws Error when ldd fails.
std::vector<std::filesystem::path> shared_libraries(const std::filesystem::path& binary);

} // namespace kmgrade::run
