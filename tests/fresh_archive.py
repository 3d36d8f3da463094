"""An archive of its own beside pytest-django's test database, driven through subprocesses: for tests where
several OS processes write at once, a real process is interrupted, or a race needs real connections.

A SQLite file in a temporary folder, or, when DATABASE_URL points at PostgreSQL (tests/run_postgres.py), a
fresh database on that server. The `fresh_archive` fixture (tests/conftest.py) gives each test its own: a copy
of one archive migrated once per session (the database file or, on PostgreSQL, `CREATE DATABASE ... TEMPLATE`,
and the empty index `migrate` made), which is what running `migrate` again would make, without the seconds
each `migrate` subprocess costs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import environ

REPO = Path(__file__).resolve().parent.parent


class FreshArchive:
    """An archive of its own (database + Whoosh index in a temp folder), used only through subprocesses."""

    def __init__(self, folder: Path, template: FreshArchive | None = None):
        """An empty archive, or a copy of `template` (an archive no process is using)."""
        self.folder = folder
        self.pg_name = None
        outer = os.environ.get("DATABASE_URL", "")
        if outer.startswith(("postgres://", "postgresql://")):
            self.pg = environ.Env.db_url_config(outer)
            self.pg_name = f"kzarchive_fresh_{uuid.uuid4().hex[:12]}"
            copy = f' TEMPLATE "{template.pg_name}"' if template is not None else ""
            self._admin(f'CREATE DATABASE "{self.pg_name}"{copy}')
            url = outer.rsplit("/", 1)[0] + "/" + self.pg_name
        else:
            url = f"sqlite:///{folder / 'archive.sqlite3'}"
            if template is not None:
                for db_file in template.folder.glob("archive.sqlite3*"):  # with -wal/-shm, should any be left
                    shutil.copy2(db_file, folder / db_file.name)
        if template is not None:
            for name in ("var", "whoosh"):
                if (template.folder / name).exists():
                    shutil.copytree(template.folder / name, folder / name)
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "kzarchive.settings",
            "DATABASE_URL": url,
            "KZARCHIVE_DATA_DIR": str(folder / "var"),
            "WHOOSH_PATH": str(folder / "whoosh"),
            "PYTHONPATH": str(REPO),
        }
        self.env.pop("HAYSTACK_URL", None)

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(
            host=self.pg["HOST"],
            port=self.pg["PORT"] or 5432,
            user=self.pg["USER"],
            password=self.pg["PASSWORD"],
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(sql)

    def manage(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [sys.executable, str(REPO / "manage.py"), *args],
            cwd=REPO,
            env=self.env,
            text=True,
            capture_output=True,
            timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
        return proc

    def python(self, code: str, *args: str, timeout: float = 120) -> str:
        """Run Django code in the archive (after django.setup()); return its stdout."""
        prelude = "import django; django.setup()\n"
        proc = subprocess.run(
            [sys.executable, "-c", prelude + code, *args],
            cwd=REPO,
            env=self.env,
            text=True,
            capture_output=True,
            timeout=timeout,
        )
        if proc.returncode != 0:
            raise AssertionError(f"subprocess exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
        return proc.stdout

    def popen(self, code: str, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-c", "import django; django.setup()\n" + code, *args],
            cwd=REPO,
            env=self.env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def close(self) -> None:
        if self.pg_name:
            self._admin(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
            self.pg_name = None

    def start(self, *args: str) -> subprocess.Popen:
        """manage.py with these arguments, running (output unbuffered, so a test can read it as it comes)."""
        return subprocess.Popen(
            [sys.executable, str(REPO / "manage.py"), *args],
            cwd=REPO,
            env={**self.env, "PYTHONUNBUFFERED": "1"},
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
