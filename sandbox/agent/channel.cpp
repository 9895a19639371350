#include "channel.h"

#include "observe/observation.h"
#include "util/files.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

namespace kmgrade::agent {

int open_serial_channel(const char* path)
{
  int fd = ::open(path, O_WRONLY | O_NOCTTY);
  if (fd < 0) {
    return fd;
  }
  termios tio{};
  if (::tcgetattr(fd, &tio) == 0) {
    ::cfmakeraw(&tio);
    ::cfsetospeed(&tio, B115200);
    ::tcsetattr(fd, TCSANOW, &tio);
  }
  return fd;
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
