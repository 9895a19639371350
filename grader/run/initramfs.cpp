#include "run/initramfs.h"

#include "util/error.h"
#include "util/files.h"
#include "util/process.h"

#include <archive.h>
#include <archive_entry.h>

#include <unistd.h>

#include <fstream>
#include <memory>
#include <set>
#include <sstream>

namespace kmgrade::run {

namespace {

using ArchivePtr = std::unique_ptr<archive, decltype(&archive_write_free)>;

void add_entry(archive* a, const std::string& path, mode_t type, unsigned mode, const std::string& data,
               const std::filesystem::path& out)
{
  std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), archive_entry_free);
  archive_entry_set_pathname(entry.get(), path.c_str() + 1); // relative: "init", "lib/x.so"
  archive_entry_set_filetype(entry.get(), type);
  archive_entry_set_perm(entry.get(), mode);
  archive_entry_set_size(entry.get(), static_cast<la_int64_t>(data.size()));
  if (archive_write_header(a, entry.get()) != ARCHIVE_OK ||
      (!data.empty() && archive_write_data(a, data.data(), data.size()) < 0)) {
    throw Error("cannot write the sandbox image " + out.string() + ": " + archive_error_string(a));
  }
}

} // namespace

void write_initramfs(const std::filesystem::path& out, const std::vector<GuestFile>& files)
{
  ArchivePtr a(archive_write_new(), archive_write_free);
  archive_write_set_format_cpio_newc(a.get());
  archive_write_add_filter_gzip(a.get());
  archive_write_set_filter_option(a.get(), "gzip", "compression-level", "1");
  if (archive_write_open_filename(a.get(), out.c_str()) != ARCHIVE_OK) {
    throw Error("cannot write the sandbox image " + out.string() + ": " + archive_error_string(a.get()));
  }
  std::set<std::string> dirs = {"/dev", "/proc", "/sys", "/tmp"};
  for (const auto& f : files) {
    for (auto p = std::filesystem::path(f.guest_path).parent_path(); p != "/" && !p.empty(); p = p.parent_path()) {
      dirs.insert(p.string());
    }
  }
  for (const auto& d : dirs) {
    add_entry(a.get(), d, AE_IFDIR, 0755, "", out);
  }
  for (const auto& f : files) {
    std::string data = f.data;
    if (!f.source.empty()) {
      if (::access(f.source.c_str(), R_OK) != 0) {
        throw Error("cannot read " + f.source.string() + " for the sandbox image");
      }
      data = util::read_file(f.source);
    }
    add_entry(a.get(), f.guest_path, AE_IFREG, f.mode, data, out);
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    throw Error("cannot write the sandbox image " + out.string() + ": " + archive_error_string(a.get()));
  }
}

std::vector<std::filesystem::path> shared_libraries(const std::filesystem::path& binary)
{
  auto result = util::run_process({"ldd", binary.string()});
  if (result.exit_code != 0) {
    throw Error("cannot list the libraries of " + binary.string() + ": ldd said: " + result.output);
  }
  std::vector<std::filesystem::path> libs;
  std::istringstream in(result.output);
  std::string line;
  while (std::getline(in, line)) {
    // "libkmod.so.2 => /lib/x86_64-linux-gnu/libkmod.so.2 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
    auto arrow = line.find("=> ");
    std::string rest = arrow == std::string::npos ? line : line.substr(arrow + 3);
    rest.erase(0, rest.find_first_not_of(" \t"));
    auto space = rest.find(' ');
    std::string path = rest.substr(0, space);
    if (!path.empty() && path[0] == '/') {
      libs.emplace_back(path);
    }
  }
  return libs;
}

} // namespace kmgrade::run
