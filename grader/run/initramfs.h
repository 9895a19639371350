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

// The agent as /init with the shared libraries it needs, stripped of its debug info, packed
// once per build of the agent into `cache_dir` and reused by every boot: most of an image's
// bytes. Returns the archive's path. Throws Error when it cannot be made.
std::filesystem::path agent_image(const std::filesystem::path& agent, const std::filesystem::path& cache_dir);

// What the host sends the agent once it has booted (observe::Delivery): the plan's JSON and
// `files`, modules and programs stripped of their debug info in `scratch` first (the serial
// line carries some 0.4 MB/s, and the guest needs none of it). Throws Error when a file cannot be read or
// a module cannot be stripped.
std::string delivery_bytes(const std::string& plan_json, const std::vector<GuestFile>& files,
                           const std::filesystem::path& scratch);

// The shared libraries (and the dynamic loader) `binary` needs, as ldd resolves them on
// this machine. Throws Error when ldd fails.
std::vector<std::filesystem::path> shared_libraries(const std::filesystem::path& binary);

} // namespace kmgrade::run
