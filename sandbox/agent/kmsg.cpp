#include "kmsg.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string_view>

namespace kmgrade::agent {

using observe::LogRecord;

KmsgReader::KmsgReader(const std::filesystem::path& path) : m_fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK)) {}

KmsgReader::~KmsgReader()
{
  if (m_fd >= 0) {
    ::close(m_fd);
  }
}

void KmsgReader::skip_to_end()
{
  ::lseek(m_fd, 0, SEEK_END);
  m_partial.clear();
}

long KmsgReader::read_records(std::vector<LogRecord>& records)
{
  char buf[8192];
  const ssize_t n = ::read(m_fd, buf, sizeof buf - 1);
  if (n <= 0) {
    return n;
  }
  m_partial.append(buf, static_cast<std::size_t>(n));
  std::size_t start = 0;
  for (auto newline = m_partial.find('\n'); newline != std::string::npos; newline = m_partial.find('\n', start)) {
    const std::string_view line(m_partial.data() + start, newline - start);
    // A line that starts with a space is a " KEY=value" continuation of the record before.
    if (!line.empty() && line.front() != ' ') {
      if (auto rec = observe::parse_kmsg_record(line)) {
        records.push_back(std::move(*rec));
      }
    }
    start = newline + 1;
  }
  m_partial.erase(0, start);
  return n;
}

std::uint64_t current_kmsg_seq(const std::filesystem::path& path)
{
  std::uint64_t last = 0;
  KmsgReader reader(path);
  if (!reader.is_open()) {
    return last;
  }
  std::vector<LogRecord> records;
  for (;;) {
    records.clear();
    const long n = reader.read_records(records);
    if (n < 0 && errno == EPIPE) {
      continue; // records overwritten under us: keep reading the newer ones
    }
    if (n <= 0) {
      break;
    }
    if (!records.empty()) {
      last = records.back().seq;
    }
  }
  return last;
}

KmsgFollower::KmsgFollower(KernelPaths paths) : m_paths(std::move(paths)) {}

KmsgFollower::~KmsgFollower()
{
  if (m_thread.joinable()) {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto written = ::write(m_stop_fd, &one, sizeof one);
    m_thread.join();
  }
  if (m_stop_fd >= 0) {
    ::close(m_stop_fd);
  }
}

void KmsgFollower::start()
{
  m_reader = std::make_unique<KmsgReader>(m_paths.kmsg());
  if (!m_reader->is_open()) {
    return;
  }
  m_reader->skip_to_end();
  m_stop_fd = ::eventfd(0, EFD_CLOEXEC);
  m_thread = std::thread([this] { follow(); });
}

void KmsgFollower::begin_load(std::size_t max_lines)
{
  const std::uint64_t seq = current_kmsg_seq(m_paths.kmsg());
  std::lock_guard lock(m_mutex);
  m_after_seq = seq;
  m_keeping = true;
  m_kept = observe::HeadAndTailKeeper<std::vector<LogRecord>>({max_lines, max_lines / 2});
  m_lost = 0;
  m_records = 0;
  m_trouble = false;
  m_oops = false;
  m_stall = false;
}

void KmsgFollower::catch_up()
{
  const std::uint64_t until = current_kmsg_seq(m_paths.kmsg());
  for (int i = 0; i < 100 && m_thread.joinable(); ++i) {
    {
      std::lock_guard lock(m_mutex);
      if (m_last_seq >= until) {
        return;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::vector<LogRecord> KmsgFollower::end_load(std::size_t& dropped)
{
  catch_up();
  std::lock_guard lock(m_mutex);
  std::vector<LogRecord> out = m_kept.take_head();
  auto tail = m_kept.take_tail();
  out.insert(out.end(), std::make_move_iterator(tail.begin()), std::make_move_iterator(tail.end()));
  dropped = m_lost + m_kept.cut();
  m_keeping = false;
  return out;
}

void KmsgFollower::follow()
{
  std::vector<LogRecord> records;
  for (;;) {
    pollfd fds[2] = {{m_reader->fd(), POLLIN, 0}, {m_stop_fd, POLLIN, 0}};
    if (::poll(fds, 2, 200) <= 0) {
      continue;
    }
    if (fds[1].revents != 0) {
      return;
    }
    records.clear();
    const long n = m_reader->read_records(records);
    if (n == 0) {
      // Only a regular file standing in for the log ends (the device has no end, and poll
      // said it has a record): wait for more to be written to it.
      ::poll(&fds[1], 1, 10);
      continue;
    }
    // n < 0 is EPIPE: records overwritten before we read them; the seq gap counts them.
    std::lock_guard lock(m_mutex);
    for (auto& rec : records) {
      keep(std::move(rec));
    }
  }
}

void KmsgFollower::keep(LogRecord rec)
{
  const std::uint64_t seq = rec.seq;
  if (m_keeping && seq > m_after_seq) {
    const std::uint64_t first = std::max(m_last_seq, m_after_seq) + 1;
    if (seq > first) {
      m_lost += seq - first; // lost to the ring buffer
    }
    m_records += seq >= first ? seq - first + 1 : 1;
    const auto kind = observe::classify_log_line(rec.text);
    m_trouble = m_trouble || kind != observe::KernelTrouble::none;
    m_oops = m_oops || kind == observe::KernelTrouble::oops;
    m_stall = m_stall || is_stall(kind);
    m_kept.push_back(std::move(rec));
  }
  m_last_seq = std::max(m_last_seq, seq);
}

} // namespace kmgrade::agent
