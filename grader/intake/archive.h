#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace kmgrade::intake {

// Caps that stop a hostile or broken archive before it fills the disk.
struct ExtractLimits
{
  std::uint64_t max_total_bytes = 64ULL << 20; // all files together
  std::uint64_t max_entry_bytes = 16ULL << 20; // one file
  std::size_t max_entries = 10000;
  double max_ratio = 200; // unpacked bytes per packed byte, over the whole archive
  int max_depth = 2;      // archives inside archives
};

// What extraction did: entries it would not write, and how much it wrote.
struct Extraction
{
  std::vector<std::string> refused; // "name: why", one per entry not written
  std::size_t files = 0;
  std::uint64_t bytes = 0;
};

// Does the file name say zip, tar, tar.gz/tgz or tar.xz/txz?
bool is_archive(const std::filesystem::path& path);

// Extracts `archive` into `dest` (created), and archives found inside it into
// "<name>.contents/" beside them, up to max_depth. Writes only regular files and folders,
// and only below `dest`: absolute names, ".." components, links, devices, FIFOs and
// encrypted entries are refused and listed. Throws Error naming the archive when it cannot
// be read at all or when a cap is exceeded (a zip bomb), after removing what it wrote.
Extraction extract_archive(const std::filesystem::path& archive, const std::filesystem::path& dest,
                           const ExtractLimits& limits = {});

} // namespace kmgrade::intake
