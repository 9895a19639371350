// A student's upload, unpacked the way intake does it: refusing is fine, writing outside
// the destination or through a link is not.

#include "check.h"
#include "intake/archive.h"
#include "util/error.h"

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;

namespace {

// One private folder per fuzzing process, removed when it exits normally. The destination
// sits three levels below it, so that an entry escaping by up to three "../" still lands
// where the checks look.
class Scratch
{
public:
  Scratch()
  {
    std::string templ = (fs::temp_directory_path() / "kmgrade-fuzz-archive-XXXXXX").string();
    check(::mkdtemp(templ.data()) != nullptr, "cannot create a scratch folder", templ);
    root = templ;
    input = root / "in" / "submission.tar.gz";
    dest = root / "in" / "unpacked" / "out";
  }
  ~Scratch()
  {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  fs::path root;
  fs::path input;
  fs::path dest;
};

Scratch& scratch()
{
  static Scratch s;
  return s;
}

bool within(const fs::path& path, const fs::path& folder)
{
  auto rel = path.lexically_relative(folder);
  return !rel.empty() && *rel.begin() != "..";
}

// Everything under the scratch folder must be the input, a folder leading to the
// destination, or inside the destination.
void check_nothing_outside(const Scratch& s)
{
  for (auto it = fs::recursive_directory_iterator(s.root); it != fs::recursive_directory_iterator(); ++it) {
    const fs::path& p = it->path();
    if (p == s.input || p == s.dest || within(p, s.dest)) {
      continue;
    }
    check(within(s.dest, p) && it->is_directory() && !it->is_symlink(), "written outside the destination", p);
  }
}

// Extraction promises regular files and folders only, each reached without a link.
std::uint64_t check_destination(const Scratch& s)
{
  const fs::path real_dest = fs::canonical(s.dest);
  std::uint64_t bytes = 0;
  for (const auto& entry : fs::recursive_directory_iterator(s.dest)) {
    const auto status = entry.symlink_status();
    if (fs::is_directory(status)) {
      continue;
    }
    check(fs::is_regular_file(status), "not a regular file or folder", entry.path());
    check(fs::canonical(entry.path()) == real_dest / entry.path().lexically_relative(s.dest), "reached through a link",
          entry.path());
    bytes += fs::file_size(entry.path());
  }
  return bytes;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  Scratch& s = scratch();
  fs::create_directories(s.input.parent_path());
  {
    std::ofstream out(s.input, std::ios::binary);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  kmgrade::intake::ExtractLimits limits;
  limits.max_total_bytes = 1 << 20;
  limits.max_entry_bytes = 256 << 10;
  limits.max_entries = 64;
  bool refused = false;
  try {
    kmgrade::intake::extract_archive(s.input, s.dest, limits);
  } catch (const kmgrade::Error&) {
    refused = true;
  }
  check_nothing_outside(s);
  if (refused) {
    check(!fs::exists(fs::symlink_status(s.dest)), "a refused archive left its destination behind", s.dest);
  } else {
    check(check_destination(s) <= limits.max_total_bytes, "more bytes unpacked than max_total_bytes", s.dest);
  }
  fs::remove_all(s.root / "in");
  return 0;
}
