"""Several processes writing to one ledger, and a writer killed with SIGKILL at a random point:
no violation is lost, no strike is counted twice, no ladder step fires twice."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from ledger_fixtures import make_services
from policywarden.store import audit
from policywarden.store.models import EnforcementAction, IdempotencyRecord, Strike, Subject, Violation

WORKER = [sys.executable, str(Path(__file__).parent / "ledger_worker.py")]


def _counts(sv):
    with sv.ledger.read() as s:
        return (
            s.scalar(select(func.count()).select_from(Violation)),
            s.scalar(select(func.count()).select_from(Strike)),
            s.scalar(select(func.count()).select_from(IdempotencyRecord)),
            s.scalar(select(func.count()).select_from(Subject)),
            Counter(s.scalars(select(EnforcementAction.kind))),
        )


def test_concurrent_writers_lose_nothing_and_never_double_count(db_url, tmp_path):
    sv = make_services(db_url, tmp_path)
    # Four processes on one subject; two of them send the same 15 keys, as a retrying client would.
    procs = [subprocess.Popen([*WORKER, db_url, "0", "15", prefix, "u_shared"], stdout=subprocess.PIPE, text=True)
             for prefix in ("a", "b", "dup", "dup")]
    outs = [p.communicate(timeout=240)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    violations, strikes, keys, subjects, kinds = _counts(sv)
    assert (violations, strikes, keys, subjects) == (45, 45, 45, 1)
    # Both "dup" processes answered every key with the same violation.
    dup = [dict(line.split() for line in out.splitlines()) for out in outs[2:]]
    assert dup[0] == dup[1]
    # 45 points on the default ladder: each step once (suspend and terminate wait for a person).
    assert kinds == Counter({"warn": 1, "restrict": 1, "suspend": 1, "terminate": 1})
    with sv.ledger.read() as s:
        assert audit.verify(s).ok


def test_a_writer_killed_at_random_points_loses_no_commit_and_applies_no_strike_twice(db_url, tmp_path):
    sv = make_services(db_url, tmp_path)
    rng = random.Random(7)
    total, committed = 30, {}
    for _ in range(3):
        proc = subprocess.Popen([*WORKER, db_url, "0", str(total), "crash", "u_victim"], stdout=subprocess.PIPE, text=True)
        stop_after = rng.randrange(1, 8)
        seen = 0
        for line in proc.stdout:
            i, vid = line.split()
            assert committed.setdefault(i, vid) == vid  # a retried key answers with its first commit
            seen += 1
            if seen >= stop_after + len(committed) // 2:
                break
        proc.send_signal(signal.SIGKILL)  # mid-transaction or between transactions: either way
        proc.wait()
    # Finish the run: every key retried from the start.
    done = subprocess.run([*WORKER, db_url, "0", str(total), "crash", "u_victim"], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    for line in done.stdout.splitlines():
        i, vid = line.split()
        assert committed.setdefault(i, vid) == vid
    violations, strikes, keys, subjects, kinds = _counts(sv)
    assert (violations, strikes, keys) == (total, total, total)
    assert all(n == 1 for n in kinds.values())
    with sv.ledger.read() as s:
        assert audit.verify(s).ok
