#include "temp_folder.h"

#include "run/host_machine.h"
#include "util/files.h"

#include <gtest/gtest.h>

using namespace kmgrade::run;
namespace fs = std::filesystem;

namespace {

// A machine that has everything --host needs, as files under a folder.
class HostMachine : public TempFolderTest
{
protected:
  void SetUp() override
  {
    TempFolderTest::SetUp();
    m_host.root = m_dir;
    m_host.kernel_release = "6.1.0-28-arm64";
    m_host.root_user = true;
    put("lib/modules/6.1.0-28-arm64/build/Makefile", "include /usr/src/linux-headers-6.1.0-28-common/Makefile\n");
    put("sys/kernel/tracing/events/kmem/kmalloc/enable", "0\n");
    put("sys/kernel/tracing/events/sched/sched_process_exit/enable", "0\n");
    put("sys/kernel/tracing/available_tracers", "function_graph function nop\n");
    put("sys/kernel/tracing/set_ftrace_filter", "#### all functions enabled ####\n");
    put("proc/sys/kernel/modules_disabled", "0\n");
    put("sys/kernel/security/lockdown", "[none] integrity confidentiality\n");
    put("sys/module/module/parameters/sig_enforce", "N\n");
    put("sys/devices/system/cpu/online", "0-3\n");
  }

  void put(const std::string& file, const std::string& text)
  {
    fs::create_directories((m_dir / file).parent_path());
    kmgrade::util::write_file_atomically(m_dir / file, text);
  }

  std::vector<std::string> missing()
  {
    std::vector<std::string> out;
    for (const auto& piece : missing_for_host(m_host, m_events, m_functions, m_cpus_needed)) {
      out.push_back(piece.what + " | " + piece.fix);
    }
    return out;
  }

  HostFacts m_host;
  unsigned m_cpus_needed = 2;
  std::vector<std::string> m_events = {"kmem:kmalloc", "sched:sched_process_exit"};
  std::vector<std::string> m_functions = {"kthread_bind"};
};

} // namespace

TEST_F(HostMachine, AMachineWithEverythingLacksNothing)
{
  EXPECT_EQ(missing(), std::vector<std::string>{});
}

TEST_F(HostMachine, NotRootSaysToUseSudoAndDoesNotGuessAboutTracefs)
{
  m_host.root_user = false;
  fs::remove_all(m_dir / "sys/kernel/tracing");
  EXPECT_EQ(missing(), std::vector<std::string>{"not root: loading modules and reading tracefs need root | run it as "
                                                "root: sudo kmgrade check --host"});
}

TEST_F(HostMachine, NoHeadersNamesThePackageOfTheRunningKernel)
{
  fs::remove_all(m_dir / "lib/modules");
  const auto m = missing();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].substr(0, m[0].find(" (")),
            "no headers for the running kernel 6.1.0-28-arm64 in /lib/modules/6.1.0-28-arm64/build | sudo apt install "
            "linux-headers-6.1.0-28-arm64");
}

TEST_F(HostMachine, NoHeadersOnARaspberryPiNamesItsPackage)
{
  fs::remove_all(m_dir / "lib/modules");
  put("proc/device-tree/model", std::string("Raspberry Pi 5 Model B Rev 1.0") + '\0');
  const auto m = missing();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_NE(m[0].find("| sudo apt install raspberrypi-kernel-headers"), std::string::npos) << m[0];
  EXPECT_NE(m[0].find("linux-headers-rpi-2712 on a Pi 5"), std::string::npos) << m[0];
}

TEST_F(HostMachine, TracefsNotMountedSaysHowToMountIt)
{
  fs::remove_all(m_dir / "sys/kernel/tracing");
  fs::create_directories(m_dir / "sys/kernel/tracing");
  EXPECT_EQ(missing(), std::vector<std::string>{"tracefs is not mounted at /sys/kernel/tracing | sudo mount -t "
                                                "tracefs nodev /sys/kernel/tracing"});
}

TEST_F(HostMachine, AKernelWithoutTracingSaysSo)
{
  fs::remove_all(m_dir / "sys/kernel/tracing");
  const auto m = missing();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_NE(m[0].find("built without tracing (CONFIG_FTRACE)"), std::string::npos) << m[0];
}

TEST_F(HostMachine, MissingTracepointsAndFunctionTracerAreNamed)
{
  fs::remove_all(m_dir / "sys/kernel/tracing/events/kmem");
  put("sys/kernel/tracing/available_tracers", "function_graph nop\n");
  const auto m = missing();
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].substr(0, m[0].find(" |")), "the kernel lacks tracepoints the checks watch: kmem:kmalloc");
  EXPECT_EQ(m[1].substr(0, m[1].find(" |")), "the kernel has no function tracer, which the pinning check watches");
}

TEST_F(HostMachine, ModuleLoadingSwitchedOff)
{
  put("proc/sys/kernel/modules_disabled", "1\n");
  EXPECT_EQ(missing(), std::vector<std::string>{"module loading is switched off until the next boot "
                                                "(kernel.modules_disabled = 1) | reboot, and take "
                                                "kernel.modules_disabled out of /etc/sysctl.d"});
}

TEST_F(HostMachine, LockdownUnderSecureBootSaysToTurnItOff)
{
  put("sys/kernel/security/lockdown", "none [integrity] confidentiality\n");
  put("sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-e0a9cb1d1b37", std::string("\x06\0\0\0\x01", 5));
  EXPECT_EQ(missing(), std::vector<std::string>{"the kernel is locked down (integrity): it loads only signed modules | "
                                                "Secure Boot is on: turn it off in the firmware settings (or sudo "
                                                "mokutil --disable-validation), then reboot"});
}

TEST_F(HostMachine, SignatureEnforcementWithoutLockdown)
{
  put("sys/module/module/parameters/sig_enforce", "Y\n");
  EXPECT_EQ(missing(), std::vector<std::string>{"the kernel loads only signed modules (module.sig_enforce) | boot "
                                                "without module.sig_enforce=1"});
}

TEST_F(HostMachine, OneCpuIsNotEnoughForThePinningCheck)
{
  put("sys/devices/system/cpu/online", "0\n");
  EXPECT_EQ(missing(), std::vector<std::string>{"only one CPU is online, and the pinning check needs two | give the "
                                                "machine (or the VM) at least two CPUs"});
  put("sys/devices/system/cpu/online", "0,2-3\n");
  EXPECT_EQ(missing(), std::vector<std::string>{});
}

TEST_F(HostMachine, OneCpuIsEnoughForALabWithoutAPinningCheck)
{
  put("sys/devices/system/cpu/online", "0\n");
  m_cpus_needed = 1;
  EXPECT_EQ(missing(), std::vector<std::string>{});
}

TEST_F(HostMachine, TheMessageListsEveryPieceWithItsFix)
{
  EXPECT_EQ(describe_missing({{"a", "fix a"}, {"b", "fix b"}}),
            "this machine cannot run the checks on its own kernel yet:\n  - a\n    fix: fix a\n  - b\n    fix: fix b");
}

TEST_F(HostMachine, TheRunningKernelIsBuiltAgainstItsOwnHeaders)
{
  const auto k = running_kernel(m_host);
  EXPECT_EQ(k.version, "6.1.0-28-arm64");
  EXPECT_EQ(k.build_dir, m_dir / "lib/modules/6.1.0-28-arm64/build");
  EXPECT_TRUE(k.image.empty());
}
