#pragma once

#include "observe/user_steps.h"

namespace kmgrade::agent {

// The name of the process a step runs in: kernel reports about the step name it so.
inline constexpr const char* k_step_process = "kmg-step";

// Runs one step in a child process and waits for it up to the step's timeout_ms. A child
// still running then is killed: timed_out. One that has not died a second later is stuck in
// the kernel (an uninterruptible sleep in the module's handler); it is left there, `stuck`
// is set, and the caller must not unload the module or load another (see LoadRunner).
observe::UserStepResult run_step(const observe::UserStep& step);

} // namespace kmgrade::agent
