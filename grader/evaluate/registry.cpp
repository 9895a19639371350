#include "evaluate/registry.h"

#include "evaluate/check_support.h"
#include "evaluate/common_checks.h"
#include "evaluate/transcript_check.h"

namespace kmgrade::evaluate {

Check find_check(const CheckTable& lab_checks, const std::string& module_id, const std::string& check_id)
{
  for (const auto* table : {&lab_checks, &common_checks()}) {
    for (const auto& c : *table) {
      if ((c.module.empty() || c.module == module_id) && c.id == check_id) {
        return c.check;
      }
    }
  }
  if (auto check = parameter_value_check(check_id)) {
    return check;
  }
  return transcript_check(check_id);
}

Verdict evaluate(const ModuleEvidence& evidence, const LabFacts& facts, const Check& check, const std::string& check_id)
{
  if (!evidence.found_at || !evidence.build) {
    return check_id == "build" ? fail(evidence.file + " was not found in the submission")
                               : Verdict{Status::not_run, "not run: " + evidence.file + " is missing", {}, false, {}};
  }
  const auto& b = *evidence.build;
  if (!b.ok && !b.shimmed) {
    if (check_id == "build") {
      return check(evidence, facts);
    }
    if (check_id == "license" && b.log.find("missing MODULE_LICENSE") != std::string::npos) {
      return fail("no MODULE_LICENSE in " + evidence.file +
                  ": the kernel build refuses the module; add MODULE_LICENSE(\"GPL\")");
    }
    return {Status::not_run, "not run: " + evidence.file + " did not compile", {}, false, {}};
  }
  Verdict v = check(evidence, facts);
  v.on_shimmed_build = b.shimmed && check_id != "build";
  return v;
}

} // namespace kmgrade::evaluate
