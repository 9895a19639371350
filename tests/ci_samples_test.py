#!/usr/bin/env python3
"""The CI samples for students' repositories (samples/ci) are valid YAML for their service,
and run what the README tells a student to run: kmgrade installed with scripts/setup, then
`kmgrade check .` in the repository.

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

# The command the jobs end with is one kmgrade has.
help_text = subprocess.run([kmgrade, "check", "--help"], capture_output=True, text=True)
expect(help_text.returncode == 0 and "PATH" in help_text.stdout, "kmgrade check --help works")

for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
