#!/usr/bin/env python3
"""Grades the SO2 "list" sample class download with the real kmgrade binary, the lab found
from the students' list.c: every student once, each with the score, the official checker's
score and the checks that do not pass that samples/so2-list/class-download.expected.json
gives, the student who handed in a header of their own built with it, and the class's
summary and Moodle worksheet written.

Usage: so2_class_test.py KMGRADE CLASS.zip EXPECTED.json"""

import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

kmgrade, class_zip, expected_file = sys.argv[1:4]
expected = json.loads(Path(expected_file).read_text())
failures = []


def expect(ok, what):
    if not ok:
        failures.append(what)


with tempfile.TemporaryDirectory(prefix="kmgrade-so2-class-") as tmp:
    out = Path(tmp) / "out"
    run = subprocess.run([kmgrade, "batch", class_zip, "--out", str(out), "--jobs", "2", "--quiet"],
                         capture_output=True, text=True)
    expect(run.returncode == 0, f"kmgrade batch exited with {run.returncode}: {run.stderr[-2000:]}")
    reports = {p.stem: json.loads(p.read_text()) for p in (out / "reports").glob("*.json")}
    expect(sorted(reports) == sorted(expected["students"]),
           f"reports for {sorted(reports)}, expected {sorted(expected['students'])}")
    for student, want in expected["students"].items():
        report = reports.get(student)
        if report is None:
            continue
        expect(report["grader"]["rubric"] == "so2-list", f"{student}: graded with {report['grader']['rubric']}")
        expect(report["score"] == want["score"], f"{student}: score {report['score']}, expected {want['score']}")
        official = report["official_equivalent"]
        expect(official["score"] == want["official"],
               f"{student}: official checker's score {official['score']}, expected {want['official']}")
        not_passed = sorted(c["id"] for ex in report["exercises"] for c in ex["checks"] if c["status"] != "pass")
        expect(not_passed == sorted(want["not_passed"]),
               f"{student}: checks not passed {not_passed}, expected {sorted(want['not_passed'])}")
        for text in want.get("build_says", []):
            build = next(c for ex in report["exercises"] for c in ex["checks"] if c["id"] == "list.build")
            said = build["message"] + "\n" + "\n".join(build["evidence"])
            expect(text in said, f"{student}: list.build does not say {text!r}: {said}")
    with open(out / "summary.csv", newline="") as f:
        rows = {row["participant_id"]: row for row in csv.DictReader(f)}
    for student, want in expected["students"].items():
        expect(student in rows and float(rows[student]["automatic"]) == want["score"],
               f"summary.csv: {student} is {rows.get(student)}")
    expect((out / "moodle-grades.csv").exists(), "no moodle-grades.csv")

for failure in failures:
    print("FAIL:", failure)
sys.exit(1 if failures else 0)
