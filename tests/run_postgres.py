#!/usr/bin/env python
"""Run pytest against a throwaway PostgreSQL cluster: `python tests/run_postgres.py [pytest args]`.

Finds Debian's server binaries (/usr/lib/postgresql/<version>/bin, or initdb/pg_ctl on PATH), creates a
cluster in a temporary folder (socket in that folder, a free port on 127.0.0.1, fsync off: nothing in it
needs to survive), runs `python -m pytest <args>` with DATABASE_URL pointing at it, then stops and removes
the cluster whatever happened (failure, Ctrl-C, SIGTERM) and exits with pytest's exit code.

PostgreSQL refuses to run as root; as root the cluster belongs to the `postgres` user (else `nobody`).
Without PostgreSQL binaries this prints a notice and exits 0, unless KZARCHIVE_REQUIRE_POSTGRES=1 (CI),
where a missing PostgreSQL is a failure (exit 1).
"""

from __future__ import annotations

import glob
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

REPO = Path(__file__).resolve().parent.parent
DB_USER = "kzarchive"
DB_NAME = "kzarchive"
# Nothing in a test cluster must survive a crash: trade durability for speed.
SERVER_OPTIONS = [
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "max_connections=100",
    "shared_buffers=32MB",
]


def find_bindir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl (or PG_BINDIR, or PATH)."""
    candidates = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(Path(os.environ["PG_BINDIR"]))

    def version(path: str) -> tuple:
        name = Path(path).parent.parent.name
        return tuple(int(p) for p in name.split(".") if p.isdigit()) or (0,)

    candidates += [
        Path(p).parent for p in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version, reverse=True)
    ]
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_account() -> pwd.struct_passwd | None:
    """Who runs the server: None means "this process's user"; as root, `postgres` or else `nobody`."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise SystemExit("run_postgres: running as root and neither a 'postgres' nor a 'nobody' user exists")


class Cluster:
    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.account = server_account()
        self.root = Path(tempfile.mkdtemp(prefix="kzarchive-pg-", dir=self.base_dir()))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0
        self.started = False
        if self.account is not None:
            os.chown(self.root, self.account.pw_uid, self.account.pw_gid)

    def base_dir(self) -> str | None:
        """Where the cluster goes: the usual temp folder, unless the server's user cannot reach it or
        the socket path would be too long (PostgreSQL's limit is about 100 bytes); then /tmp."""
        base = tempfile.gettempdir()
        too_long = len(base) > 60
        unreachable = self.account is not None and not all(
            os.stat(p).st_mode & 0o001 for p in [base, *map(str, Path(base).parents)]
        )
        return "/tmp" if (too_long or unreachable) and os.path.isdir("/tmp") else None

    def run(self, *args: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
        """Run a server binary as the cluster's owner (dropping root if need be)."""
        kwargs.setdefault("stdout", subprocess.PIPE)
        kwargs.setdefault("stderr", subprocess.STDOUT)
        env = {**os.environ, "LC_ALL": "C", "PGTZ": "UTC"}
        if self.account is not None:
            kwargs.update(user=self.account.pw_uid, group=self.account.pw_gid, extra_groups=[])
            env["HOME"] = str(self.root)
        proc = subprocess.run([str(self.bindir / args[0]), *args[1:]], env=env, cwd=self.root, text=True, **kwargs)
        if check and proc.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({proc.returncode}):\n{proc.stdout}")
        return proc

    def create(self) -> None:
        self.run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            DB_USER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
            "--no-instructions",
        )

    def start(self) -> None:
        for attempt in range(5):
            self.port = free_port()
            options = " ".join(
                [f"-p {self.port}", "-c listen_addresses=127.0.0.1", f"-c unix_socket_directories={self.root}"]
                + [f"-c {o}" for o in SERVER_OPTIONS]
            )
            proc = self.run(
                "pg_ctl",
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
                check=False,
            )
            if proc.returncode == 0:
                self.started = True
                self.run("createdb", "-h", str(self.root), "-p", str(self.port), "-U", DB_USER, DB_NAME)
                return
            time.sleep(0.2 * (attempt + 1))  # the port was taken between picking and binding: try another
        log = self.log.read_text(errors="replace") if self.log.exists() else ""
        raise RuntimeError(f"PostgreSQL did not start:\n{proc.stdout}\n{log}")

    @property
    def url(self) -> str:
        return f"postgres://{DB_USER}@127.0.0.1:{self.port}/{DB_NAME}"

    def destroy(self) -> None:
        try:
            if self.started:
                self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
                self.started = False
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def main(argv: list[str]) -> int:
    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("KZARCHIVE_REQUIRE_POSTGRES") == "1":
            print("PostgreSQL not installed, and KZARCHIVE_REQUIRE_POSTGRES=1: failing.", file=sys.stderr)
            return 1
        print("PostgreSQL not installed: skipping the PostgreSQL run (install the 'postgresql' package to run it).")
        return 0

    # SIGTERM (CI cancelling a job) must still clean up: turn it into an exception the finally below sees.
    def terminate(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    cluster = Cluster(bindir)
    pytest_proc = None
    try:
        cluster.create()
        cluster.start()
        print(f"run_postgres: PostgreSQL {bindir.parent.name} at {cluster.url}", flush=True)
        env = {**os.environ, "DATABASE_URL": cluster.url}
        pytest_proc = subprocess.Popen([sys.executable, "-m", "pytest", *argv], cwd=REPO, env=env)
        return pytest_proc.wait()
    except KeyboardInterrupt:
        if pytest_proc is not None and pytest_proc.poll() is None:
            pytest_proc.terminate()
            try:
                pytest_proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pytest_proc.kill()
        print("run_postgres: interrupted", file=sys.stderr)
        return 130
    except RuntimeError as exc:
        print(f"run_postgres: {exc}", file=sys.stderr)
        return 1
    finally:
        cluster.destroy()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
