"""Five servers and an Ansible controller, made of network namespaces on this machine.

The controller namespace holds a bridge (the "switch", 10.77.0.1/24); each host namespace
has eth0 (a veth whose peer is a port of that bridge) with 10.77.0.1N/24, its own sshd
listening only on that address, and its own filesystem root (a temp tree with an ifupdown
/etc/network/interfaces), handed to every ssh session by sshd's ``SetEnv IFSMITH_ROOT``
so that ifsmith's modules, like on a real server, need no option to find it (and a home
directory of its own, ``SetEnv HOME``, so nothing lands in this machine's /root).

ansible-playbook runs inside the controller namespace and reaches the hosts over ssh, so a
change that cuts a host's address off cuts the controller off, as it would in a rack.
No link is ever made in the machine's own namespace; everything is named ``ans-…`` and
deleted by name (namespaces) or pid (the sshd processes and anything left running in the
namespaces) when the lab closes.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COLLECTIONS = REPO / "contrib" / "ansible"
PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"
SSHD = "/usr/sbin/sshd"
SUBNET = "10.77.0"
CONTROLLER = f"{SUBNET}.1"
HOSTS = 5


def missing() -> str | None:
    """Why the lab cannot be built here (a reason starting "n/a:"), or None."""
    if os.geteuid() != 0:
        return "n/a: the Ansible lab needs root (network namespaces, sshd)"
    for tool in ("ip", SSHD, "ssh", "ssh-keygen"):
        if shutil.which(tool) is None:
            return f"n/a: {tool} is not installed (scripts/setup.sh --test installs it)"
    if not (Path(sys.executable).parent / "ansible-playbook").exists():
        return "n/a: ansible-core is not installed in this venv (pip install -e '.[test]')"
    return None


def run(*argv: str, check: bool = True, **kw: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(list(argv), capture_output=True, text=True, **kw)  # type: ignore[call-overload]
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {result.stderr.strip()}")
    return result


@dataclass
class LabHost:
    name: str  # inventory name (h1..h5)
    netns: str
    address: str
    dir: Path
    sshd: subprocess.Popen[bytes] | None = None

    @property
    def root(self) -> Path:
        return self.dir / "root"

    def ip_json(self, *args: str) -> object:
        return json.loads(run("ip", "-n", self.netns, "-j", *args).stdout or "null")

    def state(self) -> dict[str, object]:
        """What an independent reader sees: ``ip -d -j link``, ``ip -j addr``, the routes and
        every file of the host's root except ifsmith's own journal."""
        links = self.ip_json("-d", "link")
        addrs = self.ip_json("addr")
        assert isinstance(links, list) and isinstance(addrs, list)
        for entry in [*links, *addrs]:
            # Counters and timers that tick by themselves are not configuration.
            for volatile in ("stats64", "stats", "operstate"):
                entry.pop(volatile, None)
            info = entry.get("linkinfo", {}).get("info_data", {})
            for timer in ("hello_timer", "tcn_timer", "topology_change_timer", "gc_timer"):
                info.pop(timer, None)
            for a in entry.get("addr_info", []):
                # Lifetimes count down; an IPv6 link-local address is "tentative" until
                # duplicate address detection has run, a second or so after the link is up.
                for transient in ("valid_life_time", "preferred_life_time", "tentative"):
                    a.pop(transient, None)
        files = {
            str(p.relative_to(self.root)): p.read_bytes()
            for p in sorted(self.root.rglob("*"))
            if p.is_file() and "var/lib/ifsmith" not in str(p) and "run/" not in str(p)
        }
        return {"links": links, "addrs": addrs, "routes": self.ip_json("route"), "files": files}

    def addresses(self, ifname: str) -> list[str]:
        found = [a for a in self.ip_json("addr") if a["ifname"] == ifname]  # type: ignore[union-attr]
        if not found:
            return []
        assert isinstance(found, list)
        return [f"{a['local']}/{a['prefixlen']}" for a in found[0]["addr_info"]
                if a.get("scope") == "global"]  # fmt: skip

    def journal(self) -> list[dict[str, object]]:
        """Every transaction's meta.json in this host's journal, oldest first."""
        txn = self.root / "var/lib/ifsmith/txn"
        metas = [json.loads(m.read_text()) for m in txn.glob("*/meta.json")]
        return sorted(metas, key=lambda m: float(m.get("created") or 0))


@dataclass
class Lab:
    tag: str
    dir: Path
    ctl: str
    hosts: list[LabHost] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        """ansible-playbook's environment: its own config, home and temp dirs in the lab."""
        return {
            "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": str(self.dir / "home"),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "ANSIBLE_CONFIG": str(self.dir / "ansible.cfg"),
            "ANSIBLE_HOME": str(self.dir / "ansible-home"),
            "ANSIBLE_LOCAL_TEMP": str(self.dir / "ansible-local"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "PYTHONDONTWRITEBYTECODE": "1",
        }

    def playbook(
        self, playbook: str | Path, *args: str, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """ansible-playbook PLAYBOOK ARGS, run inside the controller namespace."""
        path = Path(playbook) if Path(playbook).is_absolute() else PLAYBOOKS / playbook
        tool = str(Path(sys.executable).parent / "ansible-playbook")
        argv = ["ip", "netns", "exec", self.ctl, tool, str(path), *args]
        return subprocess.run(argv, capture_output=True, text=True, env=self.env,
                              timeout=timeout, cwd=self.dir)  # fmt: skip

    def host(self, name: str) -> LabHost:
        return next(h for h in self.hosts if h.name == name)

    def states(self) -> dict[str, dict[str, object]]:
        return {h.name: h.state() for h in self.hosts}


INTERFACES = """\
# The server's network configuration (ifupdown).
auto lo
iface lo inet loopback

auto eth0
iface eth0 inet static
    address {address}/24
"""

SSHD_CONFIG = """\
ListenAddress {address}:22
HostKey {dir}/ssh_host_ed25519_key
PidFile none
AuthorizedKeysFile {lab}/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
MaxStartups 50
MaxSessions 50
SetEnv IFSMITH_ROOT={dir}/root HOME={dir}/home
Subsystem sftp internal-sftp
"""

ANSIBLE_CFG = """\
[defaults]
inventory = {dir}/inventory.ini
collections_path = {collections}
forks = {hosts}
host_key_checking = True
retry_files_enabled = False
interpreter_python = {python}
gathering = explicit
# The controller's own temp files (a task delegated to localhost) stay in the lab too.
remote_tmp = {dir}/ansible-remote
timeout = 5

[ssh_connection]
pipelining = True
control_path_dir = {dir}/cp
ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o BatchMode=yes
    -o UserKnownHostsFile={dir}/known_hosts
    -o IdentityFile={dir}/id_ed25519 -o IdentitiesOnly=yes
"""


def _inventory(lab: Lab) -> str:
    lines = ["[servers]"]
    for h in lab.hosts:
        n = h.name[1:]
        lines.append(f"{h.name} ansible_host={h.address} ansible_user=root "
                     f"ansible_remote_tmp={h.dir}/ansible-tmp "
                     f"storage_address=10.88.0.1{n}/24")  # fmt: skip
    return "\n".join(lines) + "\n"


def _wait_listening(host: LabHost, timeout: float = 15) -> None:
    """Until sshd accepts connections on the host's address (or has died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert host.sshd is not None
        if host.sshd.poll() is not None:
            log = (host.dir / "sshd.log").read_text()
            raise RuntimeError(f"sshd of {host.name} exited {host.sshd.returncode}: {log}")
        listening = run("ip", "netns", "exec", host.netns, "ss", "-Hltn",
                        f"src {host.address}").stdout  # fmt: skip
        if ":22" in listening:
            return
        time.sleep(0.02)
    raise TimeoutError(f"sshd of {host.name} does not listen after {timeout} s")


def _pids_in(netns: str) -> list[int]:
    out = run("ip", "netns", "pids", netns, check=False).stdout
    return [int(p) for p in out.split()]


def _end(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, 15)


@contextlib.contextmanager
def lab(base: Path, hosts: int = HOSTS) -> Iterator[Lab]:
    """Build the lab under BASE; tear everything down afterwards, by name and pid."""
    tag = f"{os.getpid() % 10000}{secrets.token_hex(2)}"
    made = Lab(tag=tag, dir=base, ctl=f"ans-{tag}-ctl")
    namespaces: list[str] = []
    try:
        _build(made, hosts, namespaces)
        yield made
    finally:
        for h in made.hosts:
            if h.sshd is not None and h.sshd.poll() is None:
                h.sshd.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    h.sshd.wait(5)
        # Anything still running inside the lab (a watchdog, an ssh session's child) was
        # started by the lab's sshds: ended by pid, before its namespace goes.
        for ns in namespaces:
            for pid in _pids_in(ns):
                _end(pid)
        for ns in reversed(namespaces):
            run("ip", "netns", "del", ns, check=False)
            Path(f"/run/netns/{ns}").unlink(missing_ok=True)


def _build(made: Lab, count: int, namespaces: list[str]) -> None:
    base = made.dir
    for sub in ("home", "ansible-home", "ansible-local", "ansible-remote", "cp"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    # The privilege separation directory every sshd needs (Debian's service makes it).
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ans-controller",
        "-f", str(base / "id_ed25519"))  # fmt: skip
    (base / "authorized_keys").write_text((base / "id_ed25519.pub").read_text())

    run("ip", "netns", "add", made.ctl)
    namespaces.append(made.ctl)
    batch = ["link set lo up", "link add br0 type bridge", f"addr add {CONTROLLER}/24 dev br0",
             "link set br0 up"]  # fmt: skip
    run("ip", "-n", made.ctl, "-batch", "-", input="\n".join(batch) + "\n")
    known = []
    for n in range(1, count + 1):
        h = LabHost(name=f"h{n}", netns=f"ans-{made.tag}-h{n}", address=f"{SUBNET}.1{n}",
                    dir=base / f"h{n}")  # fmt: skip
        run("ip", "netns", "add", h.netns)
        namespaces.append(h.netns)
        made.hosts.append(h)
        run("ip", "-n", made.ctl, "link", "add", f"port{n}", "type", "veth", "peer", "name",
            "eth0", "netns", h.netns)  # fmt: skip
        run("ip", "-n", made.ctl, "link", "set", f"port{n}", "master", "br0", "up")
        for nic in ("eth1", "eth2"):  # spare NICs (for a bond), cabled to nothing
            run("ip", "-n", made.ctl, "link", "add", f"port{n}{nic}", "type", "veth", "peer",
                "name", nic, "netns", h.netns)  # fmt: skip
        run("ip", "-n", h.netns, "-batch", "-", input="\n".join([
            "link set lo up", f"addr add {h.address}/24 dev eth0", "link set eth0 up"]) + "\n")
        (h.root / "etc/network").mkdir(parents=True)
        (h.root / "etc/network/interfaces").write_text(INTERFACES.format(address=h.address))
        (h.dir / "ansible-tmp").mkdir()
        (h.dir / "home").mkdir()  # root's home on this server (sshd's SetEnv HOME)
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", h.name,
            "-f", str(h.dir / "ssh_host_ed25519_key"))  # fmt: skip
        (h.dir / "sshd_config").write_text(
            SSHD_CONFIG.format(address=h.address, dir=h.dir, lab=base))
        key = (h.dir / "ssh_host_ed25519_key.pub").read_text().split()[:2]
        known.append(f"{h.address} {' '.join(key)}")
    (base / "known_hosts").write_text("\n".join(known) + "\n")
    for h in made.hosts:
        with open(h.dir / "sshd.log", "wb") as log:
            config = str(h.dir / "sshd_config")
            h.sshd = subprocess.Popen(
                ["ip", "netns", "exec", h.netns, SSHD, "-D", "-e", "-f", config],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            )  # fmt: skip
    (base / "inventory.ini").write_text(_inventory(made))
    (base / "ansible.cfg").write_text(ANSIBLE_CFG.format(
        dir=base, collections=COLLECTIONS, hosts=count, python=sys.executable))  # fmt: skip
    for h in made.hosts:
        _wait_listening(h)
