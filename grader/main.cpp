// kmgrade: grades kernel-module labs by watching what the kernel did.

#include "cli/cli.h"

#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv)
{
  return kmgrade::cli::run_cli(std::vector<std::string>(argv, argv + argc), std::cout, std::cerr);
}
