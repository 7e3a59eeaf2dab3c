"""The Host context: which network namespace and which filesystem root ifsmith works on.

Every component takes a Host, so a test, a benchmark or ``--sandbox`` can point the whole
tool at a namespace it made and a scratch directory instead of the machine's own / .
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath


@dataclass(frozen=True)
class Host:
    """Where ifsmith reads and writes: ``root`` prefixes every path; ``netns`` names the namespace.

    ``netns`` None means the namespace the process runs in.
    """

    root: Path = field(default_factory=lambda: Path("/"))
    netns: str | None = None

    def path(self, absolute: str | PurePosixPath) -> Path:
        """An absolute path of the target system, under this host's root."""
        rel = str(absolute).lstrip("/")
        return self.root / rel if rel else self.root

    def unroot(self, path: Path) -> PurePosixPath:
        """The target system's absolute path of a file under this host's root."""
        return PurePosixPath("/") / path.resolve().relative_to(self.root.resolve())

    @property
    def state_dir(self) -> Path:
        """Checkpoints and history (``/var/lib/ifsmith``)."""
        return self.path("/var/lib/ifsmith")

    @property
    def run_dir(self) -> Path:
        """The lock and the watchdog's status (``/run/ifsmith``)."""
        return self.path("/run/ifsmith")

    @property
    def is_real_root(self) -> bool:
        return self.root.resolve() == Path("/")

    @classmethod
    def from_options(cls, root: str | None, netns: str | None) -> Host:
        return cls(root=Path(root) if root else Path("/"), netns=netns or None)

    def env(self) -> dict[str, str]:
        """Environment that hands this Host to a child ifsmith process (the watchdog)."""
        env = {"IFSMITH_ROOT": str(self.root)}
        if self.netns:
            env["IFSMITH_NETNS"] = self.netns
        return env

    @classmethod
    def from_env(cls, environ: os._Environ[str] | dict[str, str] | None = None) -> Host:
        environ = os.environ if environ is None else environ
        return cls.from_options(environ.get("IFSMITH_ROOT"), environ.get("IFSMITH_NETNS"))


NONROOT_SWITCH = "IFSMITH_TEST_NONROOT_OK"


def root_check_skipped() -> bool:
    """The test suite's switch that skips the root check (IFSMITH_TEST_NONROOT_OK), honoured
    only inside a pytest run (PYTEST_CURRENT_TEST) of a source checkout (tests/ beside the
    package): an installed ifsmith, or one run by hand, always checks."""
    if not os.environ.get(NONROOT_SWITCH) or "PYTEST_CURRENT_TEST" not in os.environ:
        return False
    return (Path(__file__).resolve().parents[1] / "tests" / "conftest.py").is_file()
