#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace kmgrade::observe {

// What user space does to a file while a module is loaded: one write(2) of exact bytes (as
// `echo` sends a line), a read of the whole file up to a cap (as `cat`), or a stat(2).
enum class StepKind { write, read, stat };

const char* to_string(StepKind kind);

// One step of a load, run after the module settled and before rmmod, in a process of its
// own that is killed when it outlives `timeout_ms`.
struct UserStep
{
  StepKind kind = StepKind::read;
  std::string path;             // absolute, in the guest: "/proc/kmlab_hello"
  std::string data;             // write: the bytes, all given to one write(2) call
  std::size_t max_bytes = 4096; // read: at most this many bytes are kept
  int timeout_ms = 2000;        // a step still running then is killed
};

// What one step gave.
struct UserStepResult
{
  StepKind kind = StepKind::read;
  std::string path;
  long long result = -1;  // write, read: the bytes written or read; stat: 0; -1 when it failed
  int error_code = 0;     // errno of the failed call, positive; 0 when none failed
  std::string error;      // its strerror text, "Input/output error"
  std::string errno_name; // its name, "EIO"
  std::string data;       // read: the bytes read, at most the step's max_bytes
  bool truncated = false; // read: the file held more than max_bytes
  bool timed_out = false; // the call had not returned after the step's timeout_ms and was killed
  bool stuck = false;     // ... and still had not died a second later: the load was abandoned there
  std::uint64_t duration_ns = 0;
  // The process that ran the step: trace events of this pid are what the step made the
  // kernel do. 0 when it was never forked, or in results recorded before pids were.
  int pid = 0;
  // stat (when result is 0): the file's type ("file", "dir", "link", "char", "block",
  // "fifo", "socket"), its permission bits and size.
  std::string type;
  unsigned mode = 0;
  long long size = 0;
};

// The most a read step keeps, and the most steps a load has: a lab file or a channel line
// asking more is refused.
inline constexpr std::size_t k_max_step_bytes = 1 << 20;
inline constexpr std::size_t k_max_steps = 256;

// Bytes as a JSON string that round-trips any byte: each byte is the code point of the same
// value (U+0000 to U+00FF), so ASCII reads as itself and nothing is ever invalid UTF-8.
std::string bytes_to_json_text(const std::string& bytes);
// The bytes of such a string; throws nlohmann::json::other_error on a code point above U+00FF
// or on text that is not UTF-8 (a channel line that holds one is not the agent's).
std::string bytes_from_json_text(const std::string& text);

// The plan's and the results channel's form: field names are the members' names, `kind` is
// "write", "read" or "stat", `data` is bytes_to_json_text. from_json throws a
// nlohmann::json::exception on an unknown kind, a field out of its range or bytes over the caps.
void to_json(nlohmann::json& j, const UserStep& step);
void from_json(const nlohmann::json& j, UserStep& step);
void to_json(nlohmann::json& j, const UserStepResult& result);
void from_json(const nlohmann::json& j, UserStepResult& result);

} // namespace kmgrade::observe
