#pragma once

#include "kernel_paths.h"
#include "kmsg.h"
#include "tracer.h"

#include "observe/observation.h"

struct kmod_ctx;

namespace kmgrade::agent {

// Performs the loads of a plan one by one with libkmod, and records for each what the
// kernel did while the module was loaded and unloaded.
class LoadRunner
{
public:
  LoadRunner(kmod_ctx* ctx, const observe::Plan& plan, KmsgFollower& kmsg, KernelPaths paths = {});

  // Says what this kernel would not trace.
  std::vector<std::string> setup_tracing()
  {
    m_thread_life.setup();
    m_activity.setup();
    return m_tracer.setup();
  }
  // Leaves tracefs as setup_tracing() found it.
  void restore_tracing()
  {
    m_tracer.restore();
    m_thread_life.remove();
    m_activity.remove();
  }

  // A call that never returned holds libkmod's state: nothing more may be loaded here.
  bool wedged() const { return m_wedged; }

  observe::ModuleRun run(const observe::LoadRequest& req);

private:
  kmod_ctx* m_ctx;
  const observe::Plan& m_plan;
  KernelPaths m_paths;
  Tracer m_tracer;
  ThreadLifeTracer m_thread_life;
  ModuleActivityTracer m_activity;
  KmsgFollower& m_kmsg;
  bool m_wedged = false;
};

} // namespace kmgrade::agent
