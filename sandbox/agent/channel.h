#pragma once

#include "observe/delivery.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace kmgrade::agent {

// Opens the serial port at `path` for reading and writing, raw at 115200 baud. A negative fd
// on failure.
int open_serial_channel(const char* path);

// Asks the host for its plan on the channel `fd` (observe::k_delivery_request) and reads the
// delivery that answers. Throws std::runtime_error when the port fails or the delivery is broken.
observe::Delivery receive_delivery(int fd);

// Writes each file of `delivery` where it says, with its folders. Throws std::runtime_error
// when one cannot be written.
void unpack_delivery(const observe::Delivery& delivery);

// The results channel: each line is the boot's prefix, a kind and its JSON. While loads run,
// a heartbeat goes out every interval, so the host can tell a guest that is busy from one
// that is wedged (every CPU spinning with interrupts off) long before a load's own time is up.
class Channel
{
public:
  Channel(int fd, std::string secret) : m_fd(fd), m_secret(std::move(secret)) {}
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;
  ~Channel() { stop_heartbeat(); }

  void send(const std::string& kind, const nlohmann::json& body);

  void start_heartbeat(std::chrono::milliseconds interval);
  void stop_heartbeat();

private:
  int m_fd;
  std::string m_secret;
  std::mutex m_write_mutex;
  std::mutex m_stop_mutex;
  std::condition_variable m_stop_cv;
  bool m_stop = false;
  std::thread m_heartbeat;
};

} // namespace kmgrade::agent
