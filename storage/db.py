"""Engine and session: one place that knows how to reach the database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Foreign keys are off by default in SQLite; WAL lets the review UI read while a cycle writes.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


OWNER_ONLY_DIR, OWNER_ONLY_FILE = 0o700, 0o600


def owner_only_folder(path: Path) -> None:
    """Create `path` and any missing parent owner-only (0700); existing folders are left as
    the operator made them (a shared parent such as /var/lib must not be changed)."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        folder.mkdir(mode=OWNER_ONLY_DIR, exist_ok=True)
        os.chmod(folder, OWNER_ONLY_DIR)  # mkdir's mode is masked by the umask


def owner_only_home(home: Path) -> None:
    """POSTWARDEN_HOME holds the SQLite database, exports, keys and logs: create it 0700, and
    tighten it to 0700 if this user owns it and it is open to others."""
    home = Path(home).resolve()
    owner_only_folder(home)
    try:
        info = home.stat()
        if info.st_uid == os.geteuid() and info.st_mode & 0o077:
            os.chmod(home, OWNER_ONLY_DIR)
    except OSError:
        pass


def _sqlite_path(url: str) -> Path | None:
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[-1].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def _ensure_sqlite_folder(url: str) -> None:
    """SQLite creates the file but not its folder (e.g. a fresh `.postwarden/`). The folder is
    created 0700 and the database 0600 before SQLite opens it: SQLite gives its -wal and -shm
    files the database's permissions, and they hold the same staff and pupil data."""
    path = _sqlite_path(url)
    if path is None:
        return
    owner_only_folder(path.parent)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, OWNER_ONLY_FILE))
    _owner_only_files(path)


def _owner_only_files(path: Path) -> None:
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        try:
            if file.exists() and (file.stat().st_mode & 0o077):
                os.chmod(file, OWNER_ONLY_FILE)
        except OSError:
            pass  # not ours to change (another owner): SQLite still works


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    """One pooled engine per URL per process."""
    _ensure_sqlite_folder(url)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        path = _sqlite_path(url)
        if path is not None:
            # WAL and shared-memory files appear on the first connection: keep them owner-only.
            sa.event.listen(engine, "connect", lambda *_: _owner_only_files(path))
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session whose transaction commits on success and rolls back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        with session.begin():
            yield session


def alembic_config(url: str) -> Any:
    """Alembic config pointing at our migrations, for `postwarden init` and the tests."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str, revision: str = "heads") -> None:
    """Bring the schema to `revision` (idempotent); every branch head by default."""
    from alembic import command

    _ensure_sqlite_folder(url)
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)
