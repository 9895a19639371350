#pragma once

#include "observe/observation.h"
#include "run/initramfs.h"
#include "run/sandbox_vm.h"

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace kmgrade::run {

// The outcome of a whole plan, over as many boots as it took.
struct PlanOutcome
{
  observe::GuestReport report; // every run that came back, in plan order
  std::string accel;
  int boots = 0;
  std::map<std::string, std::string> failures; // load id -> why it has no result
};

// Runs every load of `plan`, in a fresh VM after any load that left the kernel dirty (see
// observe::dirty_reason) and after any load during which the VM died or hung; such a load
// gets a failure instead of a result. A module whose insmod or rmmod never returned, whose
// code stalled the kernel (observe::module_stall), or during whose load the VM died or hung,
// is not loaded again: its later loads get failures. A boot that never reaches the agent is
// tried again up to k_boot_retries times before the next pending load gets the failure, or,
// on the very first boot, before Error is thrown (the sandbox itself is broken). Throws Error
// as soon as options.keep_going says to stop.
// `first`, when given, is the first boot, started already (start_first_boot).
PlanOutcome run_plan(const VmOptions& options, const observe::Plan& plan, const std::vector<GuestFile>& files,
                     const std::function<void(const std::string&)>& progress, EarlyBoot* first = nullptr);

// The first boot of a plan that run_plan will run with the same options and progress,
// started now, before the plan is known: the sandbox boots while the modules are built.
// `options.accel` must be resolved. Dropped without a plan, the VM is stopped.
std::unique_ptr<EarlyBoot> start_first_boot(const VmOptions& options,
                                            const std::function<void(const std::string&)>& progress);

// One boot's runs paired with the pending loads they answer, by load id, in the order the
// runs came; each answered load leaves `pending`. A run that answers no pending load (an id
// the plan does not have, or one answered already) is dropped. Each run gets its load as its
// request: what the guest says it was asked is never trusted. Cannot fail.
std::vector<std::pair<observe::LoadRequest, observe::ModuleRun>>
claim_results(std::deque<observe::LoadRequest>& pending, std::vector<observe::ModuleRun> runs);

} // namespace kmgrade::run
