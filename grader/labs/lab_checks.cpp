#include "labs/lab_checks.h"

#include "labs/known_labs.h"

namespace kmgrade::labs {

const evaluate::CheckTable* lab_checks(const std::string& name)
{
  const auto found = known_lab_checks().find(name);
  return found == known_lab_checks().end() ? nullptr : &found->second();
}

const evaluate::CheckTable& own_checks(const std::string& name)
{
  static const evaluate::CheckTable k_none;
  const auto* found = lab_checks(name);
  return found ? *found : k_none;
}

std::vector<std::string> lab_check_names()
{
  std::vector<std::string> names;
  for (const auto& [name, table] : known_lab_checks()) {
    names.push_back(name);
  }
  return names;
}

} // namespace kmgrade::labs
