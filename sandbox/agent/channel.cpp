#include "channel.h"

#include "observe/observation.h"
#include "util/files.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace kmgrade::agent {

int open_serial_channel(const char* path)
{
  int fd = ::open(path, O_RDWR | O_NOCTTY);
  if (fd < 0) {
    return fd;
  }
  termios tio{};
  if (::tcgetattr(fd, &tio) == 0) {
    ::cfmakeraw(&tio);
    tio.c_cflag |= CLOCAL | CREAD;
    ::cfsetospeed(&tio, B115200);
    ::tcsetattr(fd, TCSANOW, &tio);
  }
  return fd;
}

observe::Delivery receive_delivery(int fd)
{
  if (!util::write_all(fd, observe::k_delivery_request)) {
    throw std::runtime_error(std::string("cannot ask the host for the plan: ") + std::strerror(errno));
  }
  observe::DeliveryReader reader;
  char buf[65536];
  while (!reader.done()) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      throw std::runtime_error(std::string("the channel closed before the plan came: ") +
                               (n < 0 ? std::strerror(errno) : "end of file"));
    }
    reader.feed(std::string_view(buf, static_cast<std::size_t>(n)));
  }
  return *reader.done();
}

void unpack_delivery(const observe::Delivery& delivery)
{
  for (const auto& file : delivery.files) {
    const std::filesystem::path path(file.path);
    std::filesystem::create_directories(path.parent_path());
    // The owner's alone until it has the mode the plan gives it.
    util::write_file_atomically(path, file.data, util::FileAccess::owner_only);
    if (::chmod(path.c_str(), file.mode) != 0) {
      throw std::runtime_error("cannot set the mode of " + file.path + ": " + std::strerror(errno));
    }
  }
}

void Channel::send(const std::string& kind, const nlohmann::json& body)
{
  std::string line = observe::channel_prefix(m_secret) + kind + " " +
                     body.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard lock(m_write_mutex);
  // A channel that cannot be written has no one to tell: the host sees the silence.
  util::write_all(m_fd, line);
}

void Channel::start_heartbeat(std::chrono::milliseconds interval)
{
  m_heartbeat = std::thread([this, interval] {
    std::unique_lock lock(m_stop_mutex);
    while (!m_stop_cv.wait_for(lock, interval, [this] { return m_stop; })) {
      send("alive", nlohmann::json::object());
    }
  });
}

void Channel::stop_heartbeat()
{
  {
    std::lock_guard lock(m_stop_mutex);
    m_stop = true;
  }
  m_stop_cv.notify_all();
  if (m_heartbeat.joinable()) {
    m_heartbeat.join();
  }
}

} // namespace kmgrade::agent
