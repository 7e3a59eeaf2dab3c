"""Issue 12, item 7: with `confirm` and `rollback` at the same moment, each front end
reports what the watchdog actually did.

What the race did: the watchdog took the confirmation (committed) while `rollback` was
asked; `rollback` printed "Rolled back" and exited 0.  Here a stand-in watchdog commits
as soon as it sees the rollback request, as the real one does when it finds both.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from ifsmith.core.host import Host
from ifsmith.core.txn import Txn, find
from tests.test_hardening_symlinks import ifsmith

# Waits for the rollback request, then records what a confirm that won would record.
COMMITS_ANYWAY = """
import sys, time
from pathlib import Path
from ifsmith.core.txn import Txn
d = Path(sys.argv[1])
while not (d / "rollback").exists():
    time.sleep(0.01)
Txn(d).load().save(state="committed", committed=time.time())
"""


def test_rollback_that_loses_the_race_to_a_confirm_says_so(tmp_path: Path) -> None:
    host = Host(root=tmp_path)
    d = host.state_dir / "txn" / "20260101-000000-00001"
    d.mkdir(parents=True)
    watchdog = subprocess.Popen([sys.executable, "-c", COMMITS_ANYWAY, str(d)])
    try:
        Txn(d).save(id=d.name, state="applied", created=time.time(), action="apply",
                    names=["d0"], watchdog_pid=watchdog.pid, deadline=time.time() + 60)  # fmt: skip
        result = ifsmith("--root", str(tmp_path), "rollback")
    finally:
        watchdog.wait(timeout=30)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout == f"Too late: {d.name} was committed\n"
    assert "Rolled back" not in result.stdout
    assert find(host, d.name).state == "committed"
