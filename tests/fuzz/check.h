#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

// A promise of the code under test was broken: abort, so that libFuzzer keeps the input.
inline void check(bool ok, const char* what, const std::string& detail = {})
{
  if (!ok) {
    std::fprintf(stderr, "fuzz: %s%s%s\n", what, detail.empty() ? "" : ": ", detail.c_str());
    std::abort();
  }
}
