#include "run/initramfs.h"

#include "observe/delivery.h"
#include "util/error.h"
#include "util/files.h"
#include "util/process.h"
#include "util/sha256.h"

#include <archive.h>
#include <archive_entry.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <thread>
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

// Writes the archive into `fd`, from its current offset.
void write_archive(int fd, const std::filesystem::path& out, const std::vector<GuestFile>& files)
{
  ArchivePtr a(archive_write_new(), archive_write_free);
  archive_write_set_format_cpio_newc(a.get());
  archive_write_add_filter_gzip(a.get());
  archive_write_set_filter_option(a.get(), "gzip", "compression-level", "1");
  if (archive_write_open_fd(a.get(), fd) != ARCHIVE_OK) {
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

// An open file descriptor, closed when it goes.
class OutputFile
{
public:
  OutputFile(const std::filesystem::path& path, int flags)
      : m_fd(::open(path.c_str(), flags | O_WRONLY | O_CLOEXEC, 0644))
  {
    if (m_fd < 0) {
      throw Error("cannot write the sandbox image " + path.string() + ": " + std::strerror(errno));
    }
  }
  ~OutputFile() { ::close(m_fd); }
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  int fd() const { return m_fd; }

private:
  int m_fd;
};

} // namespace

void write_initramfs(const std::filesystem::path& out, const std::vector<GuestFile>& files)
{
  OutputFile file(out, O_CREAT | O_TRUNC);
  write_archive(file.fd(), out, files);
}

std::string delivery_bytes(const std::string& plan_json, const std::vector<GuestFile>& files,
                           const std::filesystem::path& scratch)
{
  observe::Delivery delivery{plan_json, {}};
  for (const auto& f : files) {
    std::string data = f.data;
    if (!f.source.empty()) {
      if (::access(f.source.c_str(), R_OK) != 0) {
        throw Error("cannot read " + f.source.string() + " for the sandbox");
      }
      data = util::read_file(f.source);
      if (data.compare(0, 4,
                       "\x7f"
                       "ELF") == 0) {
        std::filesystem::create_directories(scratch);
        const auto stripped = scratch / f.source.filename();
        auto strip = util::run_process({"objcopy", "--strip-debug", f.source.string(), stripped.string()});
        if (strip.exit_code != 0) {
          throw Error("cannot strip " + f.source.string() +
                      " for the sandbox (objcopy is in Debian's binutils): " + strip.output);
        }
        data = util::read_file(stripped);
      }
    }
    delivery.files.push_back({f.guest_path, f.mode, std::move(data)});
  }
  return observe::encode_delivery(delivery);
}

std::filesystem::path agent_image(const std::filesystem::path& agent, const std::filesystem::path& cache_dir)
{
  const auto libs = shared_libraries(agent);
  std::string stamps = util::file_stamp(agent);
  for (const auto& lib : libs) {
    stamps += util::file_stamp(lib);
  }
  const std::filesystem::path dir = cache_dir / "image";
  const std::filesystem::path image = dir / (util::sha256_hex(stamps).substr(0, 32) + ".cpio.gz");
  if (std::filesystem::exists(image)) {
    return image;
  }
  std::filesystem::create_directories(dir);
  // Made under names of this process's own and renamed into place, so grades running side by
  // side never read half an image.
  const std::string own =
    "." + std::to_string(::getpid()) + "-" + std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()));
  const std::filesystem::path stripped = dir / (own + ".init");
  auto strip = util::run_process({"objcopy", "--strip-debug", agent.string(), stripped.string()});
  if (strip.exit_code != 0) {
    throw Error("cannot strip " + agent.string() +
                " for the sandbox image (objcopy is in Debian's binutils): " + strip.output);
  }
  std::vector<GuestFile> files = {{"/init", stripped, "", 0755}};
  for (const auto& lib : libs) {
    files.push_back({lib.string(), lib, "", 0755});
  }
  const std::filesystem::path partial = dir / (own + ".cpio.gz");
  write_initramfs(partial, files);
  std::filesystem::remove(stripped);
  std::filesystem::rename(partial, image);
  return image;
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
