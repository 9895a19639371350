#include "build/module_build.h"
#include "run/sandbox_vm.h"
#include "util/files.h"

#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

using namespace kmgrade::build;

TEST(ModuleBuild, ParsesDiagnosticsOfTheStudentFileOnly)
{
  const std::string out = "/tmp/x/student_lab5_kmem_alloc.c: In function 'fn':\n"
                          "/tmp/x/student_lab5_kmem_alloc.c:38:9: error: expected ';' before '}' token\n"
                          "/tmp/x/student_lab5_kmem_alloc.c:20:5: warning: unused variable 'i' [-Wunused-variable]\n"
                          "./include/linux/printk.h:10:1: note: in expansion of macro\n"
                          "make[2]: *** [scripts/Makefile.build:250: x.o] Error 1\n";
  auto d = parse_diagnostics(out, "student_lab5_kmem_alloc.c");
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].line, 38);
  EXPECT_EQ(d[0].column, 9);
  EXPECT_EQ(d[0].severity, "error");
  EXPECT_EQ(d[0].message, "expected ';' before '}' token");
  EXPECT_EQ(d[1].severity, "warning");
}

TEST(ModuleBuild, FindsRemovedTimeApis)
{
  auto found = find_removed_apis("struct  timespec start;\ngetnstimeofday(&start);\ngetnstimeofday(&end);\n"
                                 "struct timespec64 ok; ktime_get_ns();");
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0], "struct timespec");
  EXPECT_EQ(found[1], "getnstimeofday");
  EXPECT_TRUE(find_removed_apis("u64 t = ktime_get_ns(); struct timespec64 ts;").empty());
}

TEST(ModuleBuild, HostileCompilerOutputParsesWithoutCrashing)
{
  // A 200k-character source line, echoed by the compiler, overflowed the stack of the
  // regex that read diagnostics; a #line directive makes any line number.
  const std::string long_line(200000, 'x');
  const std::string out = "/b/lab5.c:99999999999999999999:3: error: '" + long_line + "' undeclared\n" + "  12 | " +
                          long_line + "\n" + "/b/dir:with/lab5.c:7:1: warning: w\n";
  auto d = parse_diagnostics(out, "lab5.c");
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].line, 0);
  EXPECT_EQ(d[0].column, 3);
  EXPECT_EQ(d[0].message, "'" + long_line + "' undeclared");
  EXPECT_EQ(d[1].line, 7);
  EXPECT_EQ(d[1].severity, "warning");
  auto found = find_removed_apis("struct" + std::string(200000, ' ') +
                                 "timeval tv; struct\n\ttimespec ts;"
                                 "struct x timespec; my_getnstimeofday();");
  EXPECT_EQ(found, (std::vector<std::string>{"struct timeval", "struct timespec"}));
}

// Real builds of hostile files inside the build sandbox, against the sandbox kernel's headers.
class BuildSandboxTest : public ::testing::Test
{
protected:
  void SetUp() override
  {
    m_dir = std::filesystem::temp_directory_path() / ("kmgrade-build-test-" + std::to_string(::getpid()) + "-" +
                                                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(m_dir);
    std::filesystem::create_directories(m_dir);
  }
  void TearDown() override { std::filesystem::remove_all(m_dir); }

  ModuleBuild build(const std::string& text, const BuildLimits& limits = {},
                    const std::filesystem::path& scratch = "build", bool compat_header = true)
  {
    const auto source = m_dir / "page_alloc.c";
    std::ofstream(source) << text;
    return build_module(
      source, "lab5_page_alloc",
      {kmgrade::run::find_sandbox_kernel().build_dir, m_dir / scratch, limits, {}, {}, compat_header});
  }

  std::filesystem::path m_dir;
};

TEST_F(BuildSandboxTest, FilesOutsideTheToolchainHeadersAndScratchDoNotExist)
{
  const std::string rubric_text = kmgrade::util::read_file(KMGRADE_RUBRIC);
  const auto reference = std::filesystem::path(KMGRADE_REFERENCE) / "page_alloc.c";
  const std::string home = std::getenv("HOME") ? std::getenv("HOME") : "/root";
  // gcc stops at the first missing include: each file is tried on its own.
  for (const std::string& target :
       {std::string("/etc/passwd"), std::string(KMGRADE_RUBRIC), reference.string(), home + "/.bashrc"}) {
    auto b = build("#include <linux/module.h>\n#include \"" + target + "\"\nMODULE_LICENSE(\"GPL\");\n");
    EXPECT_FALSE(b.ok) << target;
    EXPECT_EQ(b.stopped, "");
    ASSERT_FALSE(b.diagnostics.empty()) << b.log;
    EXPECT_EQ(b.diagnostics[0].message, target + ": No such file or directory");
    EXPECT_EQ(b.log.find("root:x:0:0"), std::string::npos) << b.log;
    EXPECT_EQ(b.log.find(rubric_text.substr(0, 40)), std::string::npos) << b.log;
    EXPECT_EQ(b.log.find("alloc_pages"), std::string::npos) << b.log;
  }
}

TEST_F(BuildSandboxTest, AFileThatIncludesItselfForEverIsStoppedByItsCpuLimit)
{
  BuildLimits limits;
  limits.cpu_seconds = 5;
  limits.wall = std::chrono::seconds(120);
  auto b = build("#include __FILE__\n#include __FILE__\n", limits);
  EXPECT_FALSE(b.ok);
  EXPECT_EQ(b.stopped, "a compiler process used up its 5 s of CPU time");
}

TEST_F(BuildSandboxTest, ReadingAnEndlessDeviceIsStoppedByTheMemoryLimit)
{
  BuildLimits limits;
  limits.memory_bytes = 512ULL << 20;
  auto b = build("#include <linux/module.h>\n#include \"/dev/zero\"\n", limits);
  EXPECT_FALSE(b.ok);
  EXPECT_EQ(b.stopped, "the compiler needed more than its 512 MiB of memory");
}

TEST_F(BuildSandboxTest, AWallClockLimitStopsABuildThatDoesNotEnd)
{
  BuildLimits limits;
  limits.wall = std::chrono::seconds(3);
  auto b = build("#include __FILE__\n#include __FILE__\n", limits);
  EXPECT_FALSE(b.ok);
  EXPECT_EQ(b.stopped, "it ran past its 3 s time limit");
}

TEST_F(BuildSandboxTest, TheReferenceBuildsInsideTheSandbox)
{
  auto b = build(kmgrade::util::read_file(std::filesystem::path(KMGRADE_REFERENCE) / "page_alloc.c"));
  EXPECT_TRUE(b.ok) << b.log;
  EXPECT_EQ(b.info.license, "GPL");
}

// Kbuild splits M= at spaces and reads ':' and '%' as make syntax: none of a scratch path may reach it.
TEST_F(BuildSandboxTest, AScratchPathWithSpacesColonsPercentAndNonAsciiLettersBuilds)
{
  const std::filesystem::path scratch = "Lab 5 grades: Åsa Ödegård 100%";
  auto b = build(kmgrade::util::read_file(std::filesystem::path(KMGRADE_REFERENCE) / "page_alloc.c"), {}, scratch);
  EXPECT_TRUE(b.ok) << b.log;
  EXPECT_EQ(b.ko, m_dir / scratch / "lab5_page_alloc.ko");
  EXPECT_EQ(b.info.license, "GPL");
}

// The compatibility header is included by its path inside the sandbox, whatever the scratch path is.
TEST_F(BuildSandboxTest, OldKernelCodeInAScratchPathWithSpacesAndPercentBuildsWithTheCompatibilityHeader)
{
  auto b = build(kmgrade::util::read_file(std::filesystem::path(KMGRADE_RUBRIC).parent_path().parent_path() /
                                          "samples" / "old-kernel-api" / "page_alloc.c"),
                 {}, "old api 50%");
  EXPECT_FALSE(b.ok);
  ASSERT_FALSE(b.diagnostics.empty()) << b.log;
  EXPECT_EQ(b.diagnostics[0].file, "page_alloc.c");
  EXPECT_EQ(b.diagnostics[0].severity, "error");
  EXPECT_TRUE(b.shimmed) << b.log;
  EXPECT_EQ(b.info.license, "GPL");
}

// A lab that does not ask for the compatibility header leaves old code failing, its removed
// APIs named for the build check to say.
TEST_F(BuildSandboxTest, WithoutTheLabAskingOldKernelCodeIsNotRebuiltWithTheCompatibilityHeader)
{
  auto b = build(kmgrade::util::read_file(std::filesystem::path(KMGRADE_RUBRIC).parent_path().parent_path() /
                                          "samples" / "old-kernel-api" / "page_alloc.c"),
                 {}, "build", false);
  EXPECT_FALSE(b.ok);
  EXPECT_FALSE(b.shimmed);
  EXPECT_FALSE(b.removed_apis.empty());
  EXPECT_TRUE(b.ko.empty());
}

// A student's own headers, in a folder whose name make would split, one of them found by a
// path that climbs out of the source's folder, and their mistakes reported in them.
TEST_F(BuildSandboxTest, TheSubmissionsOwnHeadersAreBuiltWhereTheSourceFindsThem)
{
  const std::filesystem::path root = m_dir / "submission";
  const auto write = [&](const std::filesystem::path& rel, const std::string& text) {
    std::filesystem::create_directories((root / rel).parent_path());
    std::ofstream(root / rel) << text;
  };
  write("Lab 5 \"final\" $(x)/page_alloc.c",
        "#include <linux/module.h>\n#include \"page_alloc.h\"\n#include \"../shared/license.h\"\n"
        "static int __init start(void) { return ANSWER - 42; }\nmodule_init(start);\n");
  write("Lab 5 \"final\" $(x)/page_alloc.h", "#define ANSWER 42\n");
  write("shared/license.h", "MODULE_LICENSE(\"GPL\");\n");
  BuildOptions options{kmgrade::run::find_sandbox_kernel().build_dir,
                       m_dir / "build",
                       {},
                       root,
                       {"Lab 5 \"final\" $(x)/page_alloc.h", "shared/license.h"}};
  auto b = build_module(root / "Lab 5 \"final\" $(x)/page_alloc.c", "lab5_page_alloc", options);
  EXPECT_TRUE(b.ok) << b.log;
  EXPECT_EQ(b.info.license, "GPL");
  EXPECT_EQ(b.includes, (std::vector<std::string>{"page_alloc.h", "../shared/license.h"}));

  write("shared/license.h", "MODULE_LICENSE(\"GPL\")\nint broken(void) { return }\n");
  b = build_module(root / "Lab 5 \"final\" $(x)/page_alloc.c", "lab5_page_alloc", options);
  EXPECT_FALSE(b.ok);
  ASSERT_FALSE(b.diagnostics.empty()) << b.log;
  EXPECT_EQ(b.diagnostics.front().file, "../shared/license.h") << b.log;
  EXPECT_EQ(b.diagnostics.front().severity, "error");
}

TEST_F(BuildSandboxTest, AHeaderTheStudentDidNotHandInFailsTheBuildWithTheCompilersMessage)
{
  auto b = build("#include <linux/module.h>\n#include \"page_allocation.h\"\nMODULE_LICENSE(\"GPL\");\n");
  EXPECT_FALSE(b.ok);
  ASSERT_FALSE(b.diagnostics.empty()) << b.log;
  EXPECT_EQ(b.diagnostics[0].message, "page_allocation.h: No such file or directory");
  EXPECT_TRUE(b.includes.empty());
}
