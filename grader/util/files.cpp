#include "util/files.h"

#include "util/error.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace kmgrade::util {

std::string read_file(const std::filesystem::path& path)
{
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool write_all(int fd, std::string_view data)
{
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    off += static_cast<std::size_t>(n);
  }
  return true;
}

mode_t process_umask()
{
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Umask:", 0) == 0) {
      char* end = nullptr;
      const unsigned long mask = std::strtoul(line.c_str() + 6, &end, 8);
      if (end != line.c_str() + 6 && mask <= 0777) {
        return static_cast<mode_t>(mask);
      }
      break;
    }
  }
  return 077;
}

void write_file_atomically(const std::filesystem::path& path, std::string_view data, FileAccess access)
{
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  // A fixed, short temporary name: a file whose name is NAME_MAX bytes long can still be written.
  std::string tmp = (path.parent_path() / ".kmgrade-write.XXXXXX").string();
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) {
    throw Error("cannot write " + path.string() + ": " + std::strerror(errno));
  }
  if (!write_all(fd, data)) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    throw Error("cannot write " + path.string() + ": " + std::strerror(err));
  }
  // mkstemp made it 0600; it is opened to its readers only once it is whole.
  const mode_t mode = access == FileAccess::owner_only ? 0600 : (0666 & ~process_umask());
  int err = ::fchmod(fd, mode) == 0 ? 0 : errno;
  // The descriptor is closed whatever fsync says; the first failure is the one reported.
  if (err == 0 && ::fsync(fd) != 0) {
    err = errno;
  }
  if (::close(fd) != 0 && err == 0) {
    err = errno;
  }
  if (err == 0 && ::rename(tmp.c_str(), path.c_str()) != 0) {
    err = errno;
  }
  if (err != 0) {
    ::unlink(tmp.c_str());
    throw Error("cannot write " + path.string() + ": " + std::strerror(err));
  }
}

void create_private_folder(const std::filesystem::path& dir)
{
  std::error_code ec;
  std::filesystem::create_directories(dir.parent_path(), ec);
  if (::mkdir(dir.c_str(), 0700) != 0) {
    throw Error("cannot create the folder " + dir.string() + ": " + std::strerror(errno));
  }
}

void require_free_space(const std::filesystem::path& dir, std::uint64_t bytes, const std::string& what)
{
  struct statvfs st
  {
  };
  if (::statvfs(dir.c_str(), &st) != 0) {
    throw Error("cannot use " + what + " " + dir.string() + ": " + std::strerror(errno));
  }
  const std::uint64_t free_bytes = static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
  if (free_bytes < bytes) {
    throw Error("the disk under " + what + " " + dir.string() + " is full: " + std::to_string(free_bytes >> 20) +
                " MiB free, kmgrade needs " + std::to_string(bytes >> 20) +
                " MiB. Free some space or choose another folder");
  }
}

std::string file_stamp(const std::filesystem::path& path)
{
  struct stat st
  {
  };
  if (::stat(path.c_str(), &st) != 0) {
    throw Error("cannot read " + path.string() + ": " + std::strerror(errno));
  }
  // The change time as well: a tool can set the modification time back, never that.
  return path.string() + '\0' + std::to_string(st.st_dev) + ':' + std::to_string(st.st_ino) + '\0' +
         std::to_string(st.st_size) + '\0' + std::to_string(st.st_mtim.tv_sec) + '.' +
         std::to_string(st.st_mtim.tv_nsec) + '\0' + std::to_string(st.st_ctim.tv_sec) + '.' +
         std::to_string(st.st_ctim.tv_nsec) + '\0';
}

TempFolder::TempFolder(const std::string& prefix)
{
  std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (!::mkdtemp(tmpl.data())) {
    throw Error("cannot create a scratch folder in " + std::filesystem::temp_directory_path().string() +
                ": set TMPDIR to a writable folder");
  }
  m_path = tmpl;
}

TempFolder::~TempFolder()
{
  std::error_code ec;
  std::filesystem::remove_all(m_path, ec);
}

} // namespace kmgrade::util
