#include "watchdog.h"

#include <pthread.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

namespace kmgrade::agent {

std::uint64_t now_ns()
{
  return static_cast<std::uint64_t>(
    std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

CallOutcome call_with_watchdog(const char* thread_name, std::function<int()> call, std::chrono::milliseconds limit)
{
  struct Shared
  {
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    CallOutcome outcome;
  };
  auto shared = std::make_shared<Shared>();
  {
    std::unique_lock lock(shared->mutex);
    std::thread([shared, thread_name, call = std::move(call)] {
      ::pthread_setname_np(::pthread_self(), thread_name);
      {
        std::lock_guard lock(shared->mutex);
        shared->outcome.tid = ::gettid();
        shared->done_cv.notify_all();
      }
      const std::uint64_t t0 = now_ns();
      const int result = call();
      const std::uint64_t took = now_ns() - t0;
      std::lock_guard lock(shared->mutex);
      shared->outcome.returned = true;
      shared->outcome.result = result;
      shared->outcome.duration_ns = took;
      shared->done = true;
      shared->done_cv.notify_all();
    }).detach();
    // The limit starts once the thread has named itself and given its tid: on a busy machine a
    // thread can start later than a short limit, and a call that did not return must still name
    // the thread that hangs in it (and thread_name must not be read after we return).
    shared->done_cv.wait(lock, [&] { return shared->outcome.tid != 0; });
    shared->done_cv.wait_for(lock, limit, [&] { return shared->done; });
  }
  std::lock_guard lock(shared->mutex);
  CallOutcome out = shared->outcome;
  if (!out.returned) {
    out.duration_ns = static_cast<std::uint64_t>(std::chrono::nanoseconds(limit).count());
  }
  return out;
}

void record_call(observe::StepResult& step, const CallOutcome& call)
{
  step.attempted = true;
  step.duration_ns = call.duration_ns;
  step.hung = !call.returned;
  step.ok = call.returned && call.result == 0;
  if (step.hung) {
    step.error = "did not return";
  } else if (call.result < 0) {
    step.error_code = -call.result;
    step.error = std::strerror(-call.result);
  }
}

} // namespace kmgrade::agent
