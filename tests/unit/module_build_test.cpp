#include "build/module_build.h"

#include <gtest/gtest.h>

using namespace kmgrade::build;

TEST(ModuleBuild, ParsesDiagnosticsOfTheStudentFileOnly)
{
  const std::string out =
    "/tmp/x/student_lab5_kmem_alloc.c: In function 'fn':\n"
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
