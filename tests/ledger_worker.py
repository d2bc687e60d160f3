"""A process that records violations for the concurrency and crash tests.

    python ledger_worker.py URL FIRST LAST KEY_PREFIX SUBJECT_REF

Records violations FIRST..LAST-1 against user SUBJECT_REF, each under the idempotency key
KEY_PREFIX-i, and prints "i violation_id" after each commit.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from ledger_fixtures import make_services, report, user  # noqa: E402


def main() -> None:
    url, first, last, prefix, ref = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
    ledger = make_services(url, Path(tempfile.mkdtemp())).ledger
    for i in range(first, last):
        r = ledger.record(report(user(ref), content=f"message {i}"), ("test", f"{prefix}-{i}"))
        print(i, r.violation_id, flush=True)


if __name__ == "__main__":
    main()
