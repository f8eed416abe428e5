"""Online backup and restore of a SQLite installation, with its files and keys.

A backup is a .tar.gz holding a consistent snapshot of the database (SQLite's
online backup API, safe while the app and workers write), the uploaded files, the
generated signing keys, and a manifest with checksums. Restore checks all of it
before anything is replaced, then swaps each part in with a rename.

PostgreSQL is backed up with its own tools (pg_dump / pg_restore; see the README).
"""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path, PurePosixPath

from flask import Flask
from sqlalchemy.engine import make_url

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE = "database/lms.db"
#: Archive folder -> what it holds; restored to the app's configured folders.
UPLOADS, KEYS = "files/uploads", "files/signing-keys"
POSTGRES_HINT = (
    "this database is PostgreSQL: back it up with pg_dump and restore it with "
    "pg_restore (see 'Backup and restore' in the README)"
)


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message is for the operator."""


@dataclass(frozen=True)
class Summary:
    """What a backup holds or a restore put back."""

    revision: str
    tables: dict[str, int]
    files: int
    warnings: list[str]


# --- Where things are -----------------------------------------------------------------


def database_path(app: Flask) -> Path:
    """Return the SQLite database file; BackupError for any other database."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        raise BackupError(POSTGRES_HINT)
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database).resolve()


def _folders(app: Flask) -> tuple[dict[str, Path], list[str]]:
    """Return archive folder -> local folder of the files a restore needs."""
    from lms.certificates.keys import keys_dir

    warnings = []
    folders = {KEYS: keys_dir(app)}
    if app.config.get("LMS_STORAGE"):
        warnings.append(
            "LMS_STORAGE names another storage backend: back up its files with "
            "that backend's own tools"
        )
    else:
        folders[UPLOADS] = Path(
            app.config.get("LMS_STORAGE_DIR")
            or os.path.join(app.instance_path, "uploads")
        )
    if app.config.get("LMS_SIGNING_KEY_FILE"):
        warnings.append(
            "LMS_SIGNING_KEY_FILE is set: keep a copy of that key file yourself"
        )
    return folders, warnings


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _tables(connection: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    return {
        name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
        for name in names
    }


def _check_database(path: Path) -> tuple[str, dict[str, int]]:
    """Return the alembic revision and row counts; BackupError if damaged."""
    try:
        connection = sqlite3.connect(path)
        try:
            verdict = connection.execute("PRAGMA integrity_check").fetchone()[0]
            if verdict != "ok":
                raise BackupError(f"the database fails its integrity check: {verdict}")
            revision = connection.execute(
                "SELECT version_num FROM alembic_version"
            ).fetchone()
            tables = _tables(connection)
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"the database cannot be read: {error}") from None
    if revision is None:
        raise BackupError("the database has no migration revision")
    return revision[0], tables


# --- Backup ---------------------------------------------------------------------------


def snapshot(source: Path, target: Path) -> None:
    """Copy a live SQLite database consistently with the online backup API.

    One backup step copies every page inside one read transaction, so the copy is
    the database as of one moment, even while other connections write (WAL lets
    them go on meanwhile).
    """
    live = sqlite3.connect(source, timeout=30)
    copy = sqlite3.connect(target)
    try:
        live.backup(copy)
    finally:
        copy.close()
        live.close()


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(mtime), 0o600
    archive.addfile(info, io.BytesIO(data))


def backup(app: Flask, target: Path) -> Summary:
    """Write a backup archive of the running installation to ``target``."""
    source = database_path(app)
    if not source.exists():
        raise BackupError(f"there is no database at {source}")
    folders, warnings = _folders(app)
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".backup-") as work:
        copy = Path(work) / "lms.db"
        snapshot(source, copy)
        revision, tables = _check_database(copy)
        partial = Path(work) / "archive.tar.gz"
        checksums = {DATABASE: _file_sha256(copy)}
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(copy, arcname=DATABASE)
            # Files after the snapshot: every file the snapshot points at exists
            # already (files are stored before the rows that name them).
            for prefix, folder in folders.items():
                checksums |= _add_folder(archive, prefix, folder)
            manifest = {
                "format": FORMAT,
                "application": "bdk-lms",
                "version": _version(),
                "created_at": datetime.now(UTC).isoformat(),
                "database": {
                    "dialect": "sqlite",
                    "alembic_revision": revision,
                    "tables": tables,
                },
                "checksums": checksums,
            }
            body = json.dumps(manifest, indent=2, sort_keys=True).encode()
            _add_bytes(archive, MANIFEST, body, datetime.now(UTC).timestamp())
        with partial.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, target)
    return Summary(revision, tables, len(checksums) - 1, warnings)


def _add_folder(archive: tarfile.TarFile, prefix: str, folder: Path) -> dict[str, str]:
    """Add every regular file under ``folder``; return name -> sha256."""
    checksums = {}
    if not folder.is_dir():
        return checksums
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if not path.is_file() or any(p.startswith(".") for p in relative.parts):
            continue  # lock files and half-written temporary files
        try:
            data, mtime = path.read_bytes(), path.stat().st_mtime
        except FileNotFoundError:  # deleted since the listing
            continue
        name = f"{prefix}/{relative.as_posix()}"
        _add_bytes(archive, name, data, mtime)
        checksums[name] = _sha256(data)
    return checksums


def _version() -> str:
    try:
        return metadata.version("bdk-lms")
    except metadata.PackageNotFoundError:
        return "unknown"


# --- Restore --------------------------------------------------------------------------


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    from lms.config import ROOT

    scripts = ScriptDirectory(str(ROOT / "migrations"))
    return {script.revision for script in scripts.walk_revisions()}


def _unpack(source: Path, into: Path) -> dict:
    """Extract and check the archive; return its manifest. BackupError if bad."""
    try:
        with tarfile.open(source, "r:gz") as archive:
            members = archive.getmembers()
            for member in members:
                name = PurePosixPath(member.name)
                if (
                    name.is_absolute()
                    or ".." in name.parts
                    or not (member.isfile() or member.isdir())
                ):
                    raise BackupError(f"the archive holds an unsafe entry: {name}")
            archive.extractall(into, filter="data")
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise BackupError(
            f"{source} is damaged or not a backup archive ({error or 'truncated'})"
        ) from None
    try:
        manifest = json.loads((into / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        raise BackupError(f"{source} has no readable manifest") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    checksums = manifest.get("checksums") or {}
    present = {
        path.relative_to(into).as_posix() for path in into.rglob("*") if path.is_file()
    } - {MANIFEST}
    if DATABASE not in checksums or present != set(checksums):
        raise BackupError("the archive's files do not match its manifest")
    for name, expected in checksums.items():
        if _file_sha256(into / name) != expected:
            raise BackupError(f"checksum mismatch: {name} is damaged")
    return manifest


def in_use(database: Path) -> bool:
    """Return whether some process has the database open.

    SQLite keeps the -wal and -shm files while any connection is open in WAL mode
    and removes them when the last one closes cleanly.
    """
    return any(
        database.with_name(database.name + suffix).exists()
        for suffix in ("-wal", "-shm")
    )


def restore(app: Flask, source: Path, force: bool = False) -> Summary:
    """Check a backup archive and put it in place of the installation's data."""
    target = database_path(app)
    folders, warnings = _folders(app)
    if not source.is_file():
        raise BackupError(f"there is no backup archive at {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".restore-") as work:
        staged = Path(work)
        manifest = _unpack(source, staged)
        revision, tables = _check_database(staged / DATABASE)
        if revision != manifest["database"].get("alembic_revision"):
            raise BackupError("the database does not match the manifest's revision")
        if revision not in _known_revisions():
            raise BackupError(
                f"the backup is at migration {revision}, which this version of the "
                "application does not know; restore it with the version that made it"
            )
        if in_use(target):
            raise BackupError(
                f"{target} is in use (its -wal/-shm files exist): stop the app and "
                "the workers first"
            )
        if not force and (target.exists() or _has_files(folders.get(UPLOADS))):
            raise BackupError(
                f"{target} or the uploaded files already exist; add --force to "
                "replace them"
            )
        for prefix, folder in folders.items():
            _swap_folder(staged / prefix, folder)
        os.replace(staged / DATABASE, target)  # the database last: the commit point
    files = len(manifest["checksums"]) - 1
    return Summary(revision, tables, files, warnings)


def _has_files(folder: Path | None) -> bool:
    return folder is not None and folder.is_dir() and any(folder.iterdir())


def _swap_folder(staged: Path, folder: Path) -> None:
    """Replace ``folder`` with the staged copy by renames on its own file system."""
    folder = folder.resolve()
    folder.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-new-"))
    fresh.rmdir()
    if staged.is_dir():
        shutil.copytree(staged, fresh)
    else:
        fresh.mkdir()
    old = None
    if folder.exists():
        old = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-old-"))
        old.rmdir()
        os.replace(folder, old)
    os.replace(fresh, folder)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
