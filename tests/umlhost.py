"""User-mode Linux for tests: a real kernel with bonding, 8021q and dummy (TESTHOST.md §2).

``UML.start()`` boots ``linux.uml`` over a read-only hostfs view of this machine's /, with
an overlay in tmpfs on top (so writes to /etc inside never reach the machine), loads the
modules, and runs this file as the agent inside (``python umlhost.py --agent``).  The agent
takes one JSON request per line on the console and answers with a marker line + JSON, so
control never goes over the network: a test whose change cuts networking keeps control.

Run standalone to try it: ``python tests/umlhost.py`` boots, runs ``uname -a``, stops.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MARKER = "@@IFSMITH-UML@@"
SHARED_INSIDE = "/mnt/shared"
MODULES = ("overlay", "bonding", "8021q", "dummy", "bridge", "veth", "macvlan")


def uml_unavailable() -> str | None:
    """Why UML cannot run here, or None."""
    if os.geteuid() != 0:
        return "user-mode Linux tests need root (they create namespaces inside it)"
    if shutil.which("linux.uml") is None:
        return "linux.uml is not installed (apt-get install user-mode-linux)"
    if not module_version():
        return "no UML modules under /usr/lib/uml/modules"
    if shutil.which("gcc") is None:
        return "gcc is needed to build the UML xstate shim (apt-get install gcc libc6-dev)"
    return None


SHIM_SOURCE = Path(__file__).with_name("uml_xstate_shim.c")


def build_shim(directory: Path) -> Path:
    """UML 6.1 on a host with AMX: see uml_xstate_shim.c. Harmless elsewhere."""
    out = directory / "xstate_shim.so"
    subprocess.run(
        ["gcc", "-O2", "-shared", "-fPIC", "-o", str(out), str(SHIM_SOURCE), "-ldl"],
        check=True,
        capture_output=True,
    )
    return out


def module_version() -> str | None:
    base = Path("/usr/lib/uml/modules")
    versions = sorted(p.name for p in base.iterdir()) if base.is_dir() else []
    return versions[-1] if versions else None


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


INIT = """#!/bin/sh
# PID 1 inside UML: overlay root, modules, shared dir, then the agent in a chroot.
# /tmp stays the overlay's: the checkout (and its venv) may live there, as in CI.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tmpfs tmpfs /run
mkdir -p /run/ov/upper /run/ov/work /run/ov/root /run/mods/lib/modules
ln -s /usr/lib/uml/modules/{ver} /run/mods/lib/modules/{ver}
for m in {modules}; do modprobe -d /run/mods $m; done
mount -t overlay overlay -o lowerdir=/,upperdir=/run/ov/upper,workdir=/run/ov/work /run/ov/root
R=/run/ov/root
mount -t proc proc $R/proc
mount -t sysfs sys $R/sys
mount -t devtmpfs dev $R/dev
mount -t tmpfs tmpfs $R/run
mkdir -p $R/run/netns $R{shared_inside}
mount -t hostfs -o {shared} none $R{shared_inside}
exec chroot $R {python} {agent} --agent
"""


class UML:
    """One running user-mode Linux with its agent."""

    def __init__(self, mem: str = "384M") -> None:
        self.mem = mem
        self.dir = Path(tempfile.mkdtemp(prefix="ifsmith-uml-"))
        self.shared = self.dir / "shared"
        self.shared_inside = SHARED_INSIDE
        self.proc: subprocess.Popen[bytes] | None = None
        self.console = b""
        self.boot_seconds = 0.0
        self.requests = 0

    def start(self, timeout: float = 60) -> UML:
        self.dir.chmod(0o755)
        self.shared.mkdir()
        init = self.dir / "init.sh"
        init.write_text(
            INIT.format(
                ver=module_version(),
                modules=" ".join(MODULES),
                shared=self.shared,
                shared_inside=SHARED_INSIDE,
                python=sys.executable,
                agent=Path(__file__).resolve(),
            )
        )
        init.chmod(0o755)
        argv = [
            "linux.uml", f"mem={self.mem}", "root=/dev/root", "rootfstype=hostfs",
            "rootflags=/", "ro", f"init={init}", "quiet", "loglevel=0", "con=null",
            "con0=fd:0,fd:1", "ssl=null", "ubd0=/dev/null", f"uml_dir={self.dir}",
            f"umid=ifsmith-{os.getpid()}",
        ]  # fmt: skip
        start = time.monotonic()
        try:
            self._boot(argv, timeout)
        except BaseException:
            self.stop()
            raise
        self.boot_seconds = time.monotonic() - start
        return self

    def _boot(self, argv: list[str], timeout: float) -> None:
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=self.dir,
            env={
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "TMPDIR": str(self.dir),
                "LD_PRELOAD": str(build_shim(self.dir)),
            },
        )
        # Input written before UML listens on its console can go unnoticed: wait for the
        # agent to say it is reading before sending anything.
        self._read_reply(timeout)
        ready = self.run(["true"], timeout=timeout)
        if ready.returncode != 0:
            raise RuntimeError(f"UML agent not ready: {ready}")

    def run(
        self,
        argv: list[str],
        netns: str | None = None,
        stdin: str | None = None,
        timeout: float = 30,
        env: dict[str, str] | None = None,
    ) -> Result:
        """Run a command inside UML (in a namespace of it); its exit code and output."""
        assert self.proc is not None and self.proc.stdin is not None
        request = {"argv": argv, "netns": netns, "input": stdin, "timeout": timeout, "env": env}
        payload = json.dumps(request).encode()
        if len(payload) > 1024:
            # A console line longer than the guest's tty buffer (4 KB) is answered once, then
            # the console takes no more input: big requests go through the shared directory.
            self.requests += 1
            name = f".request-{self.requests}.json"
            (self.shared / name).write_bytes(payload)
            payload = json.dumps({"file": f"{SHARED_INSIDE}/{name}"}).encode()
        line = base64.b64encode(payload) + b"\n"
        try:
            self.proc.stdin.write(line)
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass  # UML has exited: _read_reply says so, with its console output
        reply = self._read_reply(timeout + 15)
        return Result(reply["rc"], reply["stdout"], reply["stderr"])

    def _read_reply(self, timeout: float) -> dict[str, object]:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        marker = MARKER.encode()
        while True:
            at = self.console.find(marker)
            if at >= 0:
                end = self.console.find(b"\n", at)
                if end >= 0:
                    payload = self.console[at + len(marker) : end].strip()
                    self.console = self.console[end + 1 :]
                    try:
                        data: dict[str, object] = json.loads(base64.b64decode(payload))
                    except ValueError as exc:
                        # Kernel messages printed into the middle of a reply (printk level
                        # raised by a test): this reply is lost, the next one is not.
                        raise RuntimeError(
                            f"UML agent reply garbled on the console ({exc}): "
                            + payload[:2000].decode(errors="replace")
                        ) from None
                    return data
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                if self.proc.poll() is None:
                    # Out of step with the agent from here on: stop it, later calls fail fast.
                    os.killpg(self.proc.pid, 9)
                    self.proc.wait()
                # Its last words (a panic) may still be in the pipe.
                while select.select([fd], [], [], 0.2)[0] and (chunk := os.read(fd, 65536)):
                    self.console += chunk
                raise RuntimeError(
                    "UML did not answer"
                    + (" (it exited)" if self.proc.poll() is not None else "")
                    + ": console output:\n"
                    + self.console[-4000:].decode(errors="replace")
                )
            ready, _, _ = select.select([fd], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    continue
                self.console += chunk

    def add_netns(self, name: str) -> None:
        """A network namespace inside UML, loopback up."""
        made = self.run(["sh", "-ec", 'ip netns add "$1"; ip -n "$1" link set lo up', "-", name])
        if made.returncode != 0:
            raise RuntimeError(f"ip netns add {name} inside UML: {made.stderr}")

    def delete_netns(self, name: str) -> None:
        """Kill what still runs in the namespace (daemons a test started), then delete it."""
        script = 'ip netns pids "$1" | xargs -r kill -9; ip netns del "$1"'
        self.run(["sh", "-c", script, "-", name])

    def python(self, code: str, netns: str | None = None, timeout: float = 60) -> Result:
        """Run Python code inside UML with this checkout's interpreter (ifsmith importable)."""
        return self.run([sys.executable, "-c", code], netns=netns, timeout=timeout)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.run(["poweroff", "-f"], timeout=5)
            except (RuntimeError, OSError, BrokenPipeError):
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------------------------------
# The agent (inside UML, standard library only).


# Shell functions for the DHCP scenarios' scripts (``sh -c`` inside UML): the time, a
# bounded wait on a condition, and the dhclient command lines that run.
DHCP_SHELL = """
now() { date +%s.%N; }
wait_for() {  # condition, seconds
  end=$(( $(date +%s) + $2 ))
  while [ "$(date +%s)" -le "$end" ]; do if eval "$1"; then return 0; fi; sleep 0.2; done
  echo "timed out waiting for: $1"; return 1
}
clients() { for p in /proc/[0-9]*; do
  c=$(tr '\\0' ' ' < $p/cmdline 2>/dev/null); case "$c" in dhclient*) echo "$c";; esac
done; }
"""


@contextlib.contextmanager
def dhcp_peer(uml: UML, netns: str, script: str) -> Iterator[str]:
    """A peer namespace of ``netns`` set up by SCRIPT (``sh -c SCRIPT - NETNS PEER``: veths
    and a dnsmasq serving them), deleted afterwards."""
    peer = f"dhcp-{secrets.token_hex(3)}"
    uml.add_netns(peer)
    try:
        made = uml.run(["sh", "-c", script, "-", netns, peer])
        assert made.returncode == 0, made.stderr
        yield peer
    finally:
        uml.delete_netns(peer)


def agent() -> None:
    """Read base64 JSON requests from the console; run them; answer after the marker."""
    import termios
    import tty

    os.environ.setdefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
    try:
        tty.setraw(0, termios.TCSANOW)  # not TCSAFLUSH: keep a request already typed
        attrs = termios.tcgetattr(1)
        attrs[1] &= ~termios.OPOST  # no \n → \r\n on the way out
        termios.tcsetattr(1, termios.TCSANOW, attrs)
    except termios.error:
        pass
    hello = base64.b64encode(json.dumps({"ready": True}).encode()).decode()
    os.write(1, f"\n{MARKER} {hello}\n".encode())
    buf = b""
    while True:
        chunk = os.read(0, 65536)
        if not chunk:
            return
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            line = line.strip()
            if not line:
                continue
            try:
                reply = _serve(line)
            except Exception:  # the agent is PID 1: if it died, the kernel would panic
                import traceback

                reply = {"rc": 255, "stdout": "", "stderr": traceback.format_exc()}
            out = f"\n{MARKER} {base64.b64encode(json.dumps(reply).encode()).decode()}\n"
            os.write(1, out.encode())


def _serve(line: bytes) -> dict[str, object]:
    try:
        req = json.loads(base64.b64decode(line))
    except ValueError as exc:
        return {"rc": 255, "stdout": "", "stderr": f"bad request: {exc}"}
    if "file" in req:
        request_file = Path(req["file"])
        req = json.loads(request_file.read_bytes())
        request_file.unlink()
    argv = list(req["argv"])
    if req.get("netns"):
        argv = ["ip", "netns", "exec", req["netns"], *argv]
    env = dict(os.environ)
    env.update(req.get("env") or {})
    try:
        # A session of its own, so a timeout kills the whole command (ip netns exec, sh and
        # what they started): a grandchild left holding the pipes would block the agent.
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if req.get("input") is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
    except (OSError, ValueError) as exc:  # ValueError: a NUL in argv or env
        return {"rc": 127, "stdout": "", "stderr": str(exc)}
    stdin = None if req.get("input") is None else req["input"].encode()
    timed_out = False
    try:
        out, err = proc.communicate(stdin, timeout=req.get("timeout") or 30)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(proc.pid, 9)
        try:
            out, err = proc.communicate(timeout=2)
        except subprocess.TimeoutExpired as held:
            # Something in another session still holds the pipes: keep what came, go on.
            out, err = held.stdout or b"", held.stderr or b""
            for pipe in (proc.stdout, proc.stderr):
                if pipe is not None:
                    pipe.close()
            proc.wait()
    finally:
        _reap()
    # Bytes that are not UTF-8 (binary output) must not end the agent: replace them.
    reply: dict[str, object] = {
        "rc": 124 if timed_out else proc.returncode,
        "stdout": out.decode(errors="replace"),
        "stderr": err.decode(errors="replace") + ("\ntimed out" if timed_out else ""),
    }
    if timed_out:
        reply["timeout"] = True
    return reply


def _reap() -> None:
    """The agent is PID 1: collect orphans (daemons a test started and killed)."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


if __name__ == "__main__":
    if sys.argv[1:] == ["--agent"]:
        agent()
    else:
        reason = uml_unavailable()
        if reason:
            sys.exit(reason)
        uml = UML().start()
        try:
            print(f"booted in {uml.boot_seconds:.2f} s")
            t = time.monotonic()
            print(uml.run(["uname", "-a"]).stdout.strip())
            print(f"round trip {1000 * (time.monotonic() - t):.1f} ms")
        finally:
            uml.stop()
