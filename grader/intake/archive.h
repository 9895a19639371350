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

// What extraction did: entries it would not write, and how much it unpacked.
struct Extraction
{
  std::vector<std::string> refused; // "name: why", or "inner.zip: name: why" inside a nested archive
  std::size_t files = 0;            // files kept
  std::uint64_t bytes = 0;          // counting refused nested archives', which count against the cap too
};

// Does the file name say zip, tar, tar.gz/tgz or tar.xz/txz?
bool is_archive(const std::filesystem::path& path);

// Extracts `archive` into `dest` (created), and archives found inside it into
// "<name>.contents/" beside them, up to max_depth. Writes only regular files and folders,
// and only below `dest`: absolute names, ".." components, links, devices, FIFOs, sockets,
// encrypted entries, names that are not UTF-8 and entries that conflict with an earlier one
// are refused and listed. A nested archive that is damaged or passes a cap is refused as a
// whole (its contents removed) and the rest is kept. Throws Error naming `archive` when it
// cannot be read at all or passes a cap itself (a zip bomb), after removing what it wrote.
Extraction extract_archive(const std::filesystem::path& archive, const std::filesystem::path& dest,
                           const ExtractLimits& limits = {});

} // namespace kmgrade::intake
