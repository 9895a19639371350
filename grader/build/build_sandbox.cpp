#include "build/build_sandbox.h"

#include "util/error.h"
#include "util/files.h"
#include "util/process.h"

namespace kmgrade::build {

namespace fs = std::filesystem;

std::vector<std::string> sandboxed_command(const std::vector<std::string>& argv, const fs::path& kernel_build_dir,
                                           const fs::path& scratch)
{
  std::error_code ec;
  const fs::path headers = fs::canonical(kernel_build_dir, ec).parent_path();
  std::vector<std::string> cmd = {
    "bwrap", "--unshare-all",     "--uid",         "65534",      "--gid",         "65534",      "--cap-drop",
    "ALL",   "--die-with-parent", "--new-session", "--hostname", "kmgrade-build", "--clearenv", "--setenv",
    "PATH",  "/usr/bin:/bin",     "--setenv",      "LC_ALL",     "C.UTF-8",       "--setenv",   "HOME",
    "/tmp",
  };
  for (const char* dir : {"/usr/bin", "/usr/lib", "/usr/lib64", "/usr/libexec"}) {
    if (fs::is_directory(dir, ec)) {
      cmd.insert(cmd.end(), {"--ro-bind", dir, dir});
    }
  }
  // Debian points awk, cc and others through alternatives; the links hold no data.
  if (fs::is_directory("/etc/alternatives", ec)) {
    cmd.insert(cmd.end(), {"--ro-bind", "/etc/alternatives", "/etc/alternatives"});
  }
  for (const char* top : {"/bin", "/sbin", "/lib", "/lib64"}) {
    if (fs::is_symlink(top, ec)) {
      cmd.insert(cmd.end(), {"--symlink", fs::read_symlink(top, ec).string(), top});
    } else if (fs::is_directory(top, ec)) {
      cmd.insert(cmd.end(), {"--ro-bind", top, top});
    }
  }
  if (!headers.empty()) {
    cmd.insert(cmd.end(), {"--ro-bind", headers.string(), headers.string()});
  }
  cmd.insert(cmd.end(), {"--dev", "/dev", "--tmpfs", "/tmp", "--bind", scratch.string(), k_sandbox_scratch, "--chdir",
                         k_sandbox_scratch, "--"});
  cmd.insert(cmd.end(), argv.begin(), argv.end());
  return cmd;
}

void check_build_sandbox(const fs::path& kernel_build_dir)
{
  if (util::find_program("bwrap").empty()) {
    throw Error(
      "bubblewrap (bwrap) is not installed: student code compiles only inside it. Run scripts/setup, or apt-get install bubblewrap");
  }
  // A folder of this call's own: grades of a batch run side by side in one process.
  const util::TempFolder probe("kmgrade-build-probe");
  util::ProcessOptions opts;
  opts.timeout = std::chrono::seconds(30);
  auto r = util::run_process(sandboxed_command({"make", "--version"}, kernel_build_dir, probe.path()), opts);
  if (r.exit_code != 0) {
    throw Error(
      "the build sandbox (bubblewrap) cannot start here: " + r.output +
      "It needs user namespaces: as root, sysctl -w kernel.unprivileged_userns_clone=1 and user.max_user_namespaces > 0; inside a container, one started with namespaces allowed");
  }
}

} // namespace kmgrade::build
