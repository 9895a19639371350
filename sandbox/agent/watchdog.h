#pragma once

#include "observe/observation.h"

#include <chrono>
#include <cstdint>
#include <functional>

namespace kmgrade::agent {

// Nanoseconds of the monotonic clock.
std::uint64_t now_ns();

struct CallOutcome
{
  bool returned = false;
  int result = 0;
  std::uint64_t duration_ns = 0; // the limit when it did not return
  int tid = 0;                   // the thread that made the call
};

// Runs `call` on a thread of its own, named `thread_name` for the kernel's reports ("task
// kmg-insmod:42 blocked for more than 10 seconds"), and waits at most `limit` from the moment
// that thread runs, so a call that does not return always has its tid: a module whose init or
// exit never returns then costs its own load, and the agent can still report it. A call that
// does not return is left running.
CallOutcome call_with_watchdog(const char* thread_name, std::function<int()> call, std::chrono::milliseconds limit);

// Records how an insmod or rmmod call went; `call.result` is 0 or a negative errno.
void record_call(observe::StepResult& step, const CallOutcome& call);

} // namespace kmgrade::agent
