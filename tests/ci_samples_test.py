#!/usr/bin/env python3
"""The CI samples (samples/ci) are valid YAML for their service. Those for students'
repositories run what the README tells a student to run: kmgrade installed with
scripts/setup, then `kmgrade check .` in the repository. Those for a course's grading
repository run one job per shard and a merge job after them, with the commands the Slurm
recipe runs (scripts/grade-shard and scripts/merge-shards, which e2e.batch.slurm runs).

Usage: ci_samples_test.py REPO_ROOT KMGRADE"""

import subprocess
import sys
from pathlib import Path

import yaml

root = Path(sys.argv[1])
kmgrade = sys.argv[2]
failures = []


def expect(ok, what):
    if not ok:
        failures.append(what)


def commands_of_github(doc):
    jobs = doc["jobs"]
    expect(doc.get(True, doc.get("on")) == ["push", "pull_request"], "github: runs on push and pull_request")
    (job,) = jobs.values()
    expect(job["container"]["image"] == "debian:12", "github: a Debian 12 container")
    expect("--privileged" in job["container"]["options"], "github: namespaces for bubblewrap")
    lines = []
    for step in job["steps"]:
        lines += [l.strip() for l in step.get("run", "").splitlines() if l.strip()]
    return lines, job["env"]


def commands_of_gitlab(doc):
    job = doc["kmgrade-check"]
    expect(job["image"] == "debian:12", "gitlab: a Debian 12 image")
    return job["script"], job["variables"]


readme = (root / "README.md").read_text()
setup_usage = (root / "scripts/setup").read_text()
for name, parse in [("github-actions.yml", commands_of_github), ("gitlab-ci.yml", commands_of_gitlab)]:
    doc = yaml.safe_load((root / "samples/ci" / name).read_text())
    lines, env = parse(doc)
    expect(any(l.startswith('git clone --depth 1 "$KMGRADE_REPO" /opt/kmgrade') for l in lines),
           f"{name}: clones kmgrade from KMGRADE_REPO")
    expect("KMGRADE_REPO" in env, f"{name}: KMGRADE_REPO is set")
    expect("/opt/kmgrade/scripts/setup --no-sample" in lines, f"{name}: installs with scripts/setup --no-sample")
    expect("--no-sample" in setup_usage, f"{name}: scripts/setup takes --no-sample")
    expect(lines[-1] == "/opt/kmgrade/build/bin/kmgrade check .", f"{name}: ends with kmgrade check .")
    expect(f"samples/ci/{name}" in readme, f"README names samples/ci/{name}")

# The grading templates: N shard jobs, each scripts/grade-shard of its K/N, then a merge of N.
slurm_shard = (root / "scripts/slurm/shard.sbatch").read_text()
slurm_merge = (root / "scripts/slurm/merge.sbatch").read_text()
expect('scripts/grade-shard" "$CLASS" "$SLURM_ARRAY_TASK_ID/$SHARDS" "$OUT"' in slurm_shard,
       "slurm: each array task runs scripts/grade-shard CLASS K/N OUT")
expect('scripts/merge-shards" "$OUT" "$SHARDS"' in slurm_merge, "slurm: the merge job runs scripts/merge-shards OUT N")


def grading_gitlab(doc):
    shard, merge = doc["shard"], doc["merge"]
    n = shard["parallel"]
    expect(doc[".kmgrade"]["image"] == "debian:12", "grading gitlab: a Debian 12 image")
    expect(shard["stage"] == "grade" and merge["stage"] == "merge" and doc["stages"] == ["grade", "merge"],
           "grading gitlab: the merge's stage comes after the shards'")
    expect(merge["needs"] == [{"job": "shard", "artifacts": True}], "grading gitlab: the merge takes the shards' artifacts")
    expect("out/shards/" in shard["artifacts"]["paths"], "grading gitlab: each shard keeps out/shards/")
    expect("out/class/" in merge["artifacts"]["paths"], "grading gitlab: the merge keeps out/class/")
    install = doc[".kmgrade"]["before_script"]
    return n, shard["script"], merge["script"], install, doc["variables"], "$CI_NODE_INDEX/$CI_NODE_TOTAL"


def grading_github(doc):
    shard, merge = doc["jobs"]["shard"], doc["jobs"]["merge"]
    shards = shard["strategy"]["matrix"]["shard"]
    n = int(doc["env"]["SHARDS"])
    expect(doc.get(True, doc.get("on")) == "workflow_dispatch", "grading github: run by hand")
    expect(shards == list(range(1, n + 1)), f"grading github: the matrix is shards 1 to {n}: {shards}")
    expect(merge["needs"] == "shard" and merge["if"] == "always()", "grading github: the merge runs after every shard")
    runs = lambda job: [l.strip() for step in job["steps"] for l in step.get("run", "").splitlines() if l.strip()]
    for job in (shard, merge):
        expect(job["container"]["image"] == "debian:12" and "--privileged" in job["container"]["options"],
               "grading github: Debian 12 containers with namespaces")
    install = [l for l in runs(shard) if "scripts/grade-shard" not in l]
    expect(install == [l for l in runs(merge) if "scripts/merge-shards" not in l],
           "grading github: the merge job installs kmgrade as the shards do")
    return n, runs(shard), runs(merge), install, doc["env"], "${{ matrix.shard }}/$SHARDS"


for name, parse in [("grading-gitlab-ci.yml", grading_gitlab), ("grading-github-actions.yml", grading_github)]:
    doc = yaml.safe_load((root / "samples/ci" / name).read_text())
    n, shard_lines, merge_lines, install, env, k_of_n = parse(doc)
    expect(f'/opt/kmgrade/scripts/grade-shard "$CLASS" "{k_of_n}" out --jobs 2' in shard_lines,
           f"{name}: each shard job runs scripts/grade-shard CLASS K/N out: {shard_lines}")
    merge_n = next((l.split()[2] for l in merge_lines if l.startswith("/opt/kmgrade/scripts/merge-shards out ")), None)
    expect(merge_n in (str(n), '"$SHARDS"'), f"{name}: the merge takes all {n} shards: {merge_lines}")
    expect('git clone --depth 1 --branch "$KMGRADE_REF" "$KMGRADE_REPO" /opt/kmgrade' in install and
           "/opt/kmgrade/scripts/setup --no-sample" in install, f"{name}: installs kmgrade with scripts/setup")
    expect({"KMGRADE_REPO", "KMGRADE_REF", "CLASS"} <= set(env), f"{name}: KMGRADE_REPO, KMGRADE_REF and CLASS are set")
    expect(f"samples/ci/{name}" in readme, f"README names samples/ci/{name}")

# The commands the jobs end with are ones kmgrade has.
for sub, word in (("batch", "--shard"), ("merge", "--mixed-accel")):
    help_text = subprocess.run([kmgrade, sub, "--help"], capture_output=True, text=True)
    expect(help_text.returncode == 0 and word in help_text.stdout, f"kmgrade {sub} --help names {word}")
# The command the jobs end with is one kmgrade has.
help_text = subprocess.run([kmgrade, "check", "--help"], capture_output=True, text=True)
expect(help_text.returncode == 0 and "PATH" in help_text.stdout, "kmgrade check --help works")

for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
