#include "kernel_paths.h"

#include <fcntl.h>
#include <unistd.h>

namespace kmgrade::agent {

bool write_kernel_file(const std::filesystem::path& path, const std::string& text, bool append)
{
  int fd = ::open(path.c_str(), O_WRONLY | (append ? O_APPEND : O_TRUNC));
  if (fd < 0) {
    return false;
  }
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

} // namespace kmgrade::agent
