#pragma once

#include "kernel_paths.h"

#include "observe/head_and_tail.h"
#include "observe/kernel_log.h"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kmgrade::agent {

// Reads whole records from the kernel log. /dev/kmsg gives one record per read; a regular
// file standing in for it (a host test's) gives as many lines as fit, and may cut the last
// one, which is kept for the next read.
class KmsgReader
{
public:
  explicit KmsgReader(const std::filesystem::path& path);
  KmsgReader(const KmsgReader&) = delete;
  KmsgReader& operator=(const KmsgReader&) = delete;
  ~KmsgReader();

  bool is_open() const { return m_fd >= 0; }
  int fd() const { return m_fd; }
  void skip_to_end();

  // Reads once and appends the records it completed to `records`; returns what read()
  // returned (-1 with errno EPIPE when the kernel overwrote records before they were read).
  long read_records(std::vector<observe::LogRecord>& records);

private:
  int m_fd = -1;
  std::string m_partial;
};

// The sequence number of the newest record of the kernel log at `path`.
std::uint64_t current_kmsg_seq(const std::filesystem::path& path);

// Reads the kernel log as it is written, on a thread of its own: a module that prints
// megabytes overwrites the kernel's ring buffer faster than a load ends, so the head of
// what it printed is only there to be read while it happens. Keeps the head and the tail of
// each load's records, counts the rest, and notices kernel trouble as soon as it is printed.
class KmsgFollower
{
public:
  explicit KmsgFollower(KernelPaths paths = {});
  KmsgFollower(const KmsgFollower&) = delete;
  KmsgFollower& operator=(const KmsgFollower&) = delete;
  ~KmsgFollower();

  // Follows what is written from now on.
  void start();

  void begin_load(std::size_t max_lines);

  bool trouble_seen() const { return m_trouble; }
  // An Oops since begin_load(): the task that hit it died where it stood, holding what it held.
  bool oops_seen() const { return m_oops; }
  // How many records the kernel logged since begin_load(), kept or not.
  std::uint64_t records_seen() const { return m_records; }
  // A soft lockup, RCU stall or hung task: a CPU that never schedules holds up every RCU
  // grace period, and reading the trace buffer waits for one.
  bool stall_seen() const { return m_stall; }

  // Waits (a second at most) until the reader has read every record logged before this
  // call, so that trouble_seen() and oops_seen() cover all of it: a step's process that an
  // Oops killed has its report in the log before its parent sees it die, but the reader
  // thread may not have read it yet.
  void catch_up();

  // The load's records up to now (waiting briefly for the reader to catch up), and how many
  // were left out.
  std::vector<observe::LogRecord> end_load(std::size_t& dropped);

private:
  void follow();
  void keep(observe::LogRecord rec);

  KernelPaths m_paths;
  std::unique_ptr<KmsgReader> m_reader;
  int m_stop_fd = -1; // an eventfd: written to end follow() at once, not at its next poll
  std::thread m_thread;
  std::mutex m_mutex;
  std::uint64_t m_after_seq = 0;
  std::uint64_t m_last_seq = 0;
  bool m_keeping = false; // between loads, records are not kept
  observe::HeadAndTailKeeper<std::vector<observe::LogRecord>> m_kept;
  std::size_t m_lost = 0; // records the ring buffer overwrote before they were read
  std::atomic<std::uint64_t> m_records{0};
  std::atomic<bool> m_trouble{false};
  std::atomic<bool> m_oops{false};
  std::atomic<bool> m_stall{false};
};

} // namespace kmgrade::agent
