#!/usr/bin/env python3
"""Grades the sample class download with the Slurm recipe (scripts/slurm-grade: an array job of
three shards and a merge job after them) on a one-node Slurm cluster this test starts from
Debian's packages (munged, slurmctld, slurmd) and stops again, as root. The merged class must
give every student the score and verdicts of one batch of the same download
(samples/class-download.expected.json, which e2e.batch.class-download holds one batch to),
each shard must record the accelerator it graded with, and a shard rerun alone (--only) must
be merged again into the same class.

Usage: slurm_test.py KMGRADE CLASS.zip EXPECTED.json SLURM_GRADE"""

import csv
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SKIP = 77


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OneNodeCluster:
    """munged, slurmctld and slurmd of their own, configured in `root`, stopped by their pids."""

    def __init__(self, root):
        self.root = root
        self.daemons = []
        self.env = dict(os.environ, SLURM_CONF=str(root / "slurm.conf"))

    def start(self):
        munge = pwd.getpwnam("munge")
        mdir = self.root / "munge"
        mdir.mkdir()
        # munged wants its socket's folder open to all (execute), and its key its own alone.
        mdir.chmod(0o755)
        key = mdir / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        for p in (mdir, key):
            os.chown(p, munge.pw_uid, munge.pw_gid)
        socket_path = mdir / "munge.socket"
        self.spawn(["runuser", "-u", "munge", "--", "munged", "--foreground", f"--socket={socket_path}",
                    f"--key-file={key}", f"--pid-file={mdir / 'munged.pid'}", f"--log-file={mdir / 'munged.log'}",
                    f"--seed-file={mdir / 'munged.seed'}"], "munged")
        self.wait_for(socket_path.exists, "munged's socket")
        node = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, check=True).stdout.splitlines()[0]
        node = " ".join(f for f in node.split() if not f.startswith("NodeName="))
        for d in ("state", "spool"):
            (self.root / d).mkdir()
        (self.root / "slurm.conf").write_text(f"""ClusterName=kmgrade-test
SlurmctldHost=localhost
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={socket_path}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
StateSaveLocation={self.root / 'state'}
SlurmdSpoolDir={self.root / 'spool'}
SlurmctldPidFile={self.root / 'slurmctld.pid'}
SlurmdPidFile={self.root / 'slurmd.pid'}
SlurmctldLogFile={self.root / 'slurmctld.log'}
SlurmdLogFile={self.root / 'slurmd.log'}
SchedulerParameters=batch_sched_delay=0
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=localhost NodeAddr=127.0.0.1 {node}
PartitionName=grading Nodes=localhost Default=YES MaxTime=INFINITE State=UP
""")
        self.spawn(["slurmctld", "-D", "-i"], "slurmctld")
        self.spawn(["slurmd", "-D", "-N", "localhost"], "slurmd")
        self.wait_for(lambda: self.run(["sinfo", "-h", "-o", "%T"]).stdout.strip() == "idle", "the node to be idle")

    def spawn(self, argv, name):
        log = open(self.root / f"{name}.out", "w")
        self.daemons.append((name, subprocess.Popen(argv, env=self.env, stdout=log, stderr=subprocess.STDOUT)))

    def run(self, argv, **kw):
        return subprocess.run(argv, env=self.env, capture_output=True, text=True, **kw)

    def wait_for(self, ready, what, seconds=60):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for name, proc in self.daemons:
                if proc.poll() is not None:
                    sys.exit(f"FAIL: {name} exited with {proc.returncode} while waiting for {what}:\n" +
                             (self.root / f"{name}.out").read_text()[-2000:])
            if ready():
                return
            time.sleep(0.2)
        sys.exit(f"FAIL: no {what} after {seconds} s")

    def stop(self):
        # A job leaves squeue before its slurmstepd exits: wait for those too.
        end = time.monotonic() + 30
        while time.monotonic() < end and subprocess.run(["pgrep", "-x", "slurmstepd"],
                                                          capture_output=True).returncode == 0:
            time.sleep(0.2)
        for name, proc in reversed(self.daemons):
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def main():
    kmgrade, class_zip, expected_file, slurm_grade = sys.argv[1:5]
    if os.geteuid() != 0:
        print("SKIP: a Slurm cluster of its own needs root (its daemons run as root and munge)")
        return SKIP
    missing = [p for p in ("munged", "slurmctld", "slurmd", "sbatch", "sinfo") if not shutil.which(p)]
    if missing:
        print(f"FAIL: {', '.join(missing)} not installed: scripts/setup installs slurmctld, slurmd, slurm-client and munge")
        return 1
    expected = json.loads(Path(expected_file).read_text())["students"]
    failures = []

    def expect(ok, what):
        if not ok:
            failures.append(what)

    root = Path(tempfile.mkdtemp(prefix="kmgrade-slurm-"))
    root.chmod(0o755)
    cluster = OneNodeCluster(root / "cluster")
    (root / "cluster").mkdir()
    out = root / "out"
    try:
        cluster.start()
        grade = [slurm_grade, class_zip, "--out", str(out), "--shards", "3", "--wait", "--kmgrade", kmgrade,
                 "--", "--cpus-per-task=1"]
        started = time.monotonic()
        run = cluster.run(grade)
        print(f"slurm-grade: {time.monotonic() - started:.0f} s\n{run.stdout}{run.stderr}")
        expect(run.returncode == 0, f"scripts/slurm-grade exited with {run.returncode}")
        reports = {p.stem: json.loads(p.read_text()) for p in (out / "class" / "reports").glob("*.json")}
        expect(sorted(reports) == sorted(expected), f"reports for {sorted(reports)}, expected {sorted(expected)}")
        for student, want in expected.items():
            report = reports.get(student)
            if report is None:
                continue
            expect(report["score"] == want["score"], f"{student}: score {report['score']}, expected {want['score']}")
            got = {c["id"]: c["status"] for ex in report["exercises"] for c in ex["checks"]}
            got = {check: got.get(check) for check in want["checks"]}
            expect(got == want["checks"], f"{student}: verdicts {got}, expected {want['checks']}")
        with open(out / "class" / "summary.csv", newline="") as f:
            rows = {row["participant_id"]: row for row in csv.DictReader(f)}
        expect(sorted(rows) == sorted(expected), f"summary.csv has {sorted(rows)}")
        for k in (1, 2, 3):
            shard = json.loads((out / "shards" / str(k) / "shard.json").read_text())
            accel = shard["sandbox"]["accel"]
            expect(shard["ids"] == [] or accel in ("kvm", "tcg"), f"shard {k} recorded accelerator {accel!r}")
            log = (out / "slurm" / f"shard-{k}.log").read_text()
            expect(f"kmgrade shard {k}/3 on" in log, f"shard {k}'s log does not say where it ran: {log[-500:]}")

        # Shard 2 again on its own, then the merge again: the same class.
        before = (out / "class" / "summary.csv").read_text()
        rerun = cluster.run([slurm_grade, class_zip, "--out", str(out), "--shards", "3", "--only", "2", "--wait",
                             "--kmgrade", kmgrade, "--", "--cpus-per-task=1"])
        expect(rerun.returncode == 0, f"the rerun of shard 2 exited with {rerun.returncode}: {rerun.stderr[-1000:]}")
        expect((out / "class" / "summary.csv").read_text() == before, "the class merged again differs")
    finally:
        cluster.stop()
    if not failures:
        shutil.rmtree(root, ignore_errors=True)
    for failure in failures:
        print("FAIL:", failure)
    if failures:
        print(f"(kept for a look: {root})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
