"""A local PostgreSQL cluster from the server binaries, and one role and database per service.

`coulisse up` runs the server under supervisord (`program()`: `postgres -D`, restarted on the same
data when it dies); a test session starts it with `pg_ctl` (`start()`).

Where: a cluster has a nominal folder (`.cache/run/postgres`, or one per test session). As root,
the server runs as the `postgres` user, which may not be able to enter the checkout (a clone in
a 0700 home folder): the cluster then lives in a private folder under the system's temporary
directory (owned by `postgres`, mode 0700) and the nominal folder becomes a symbolic link to it,
which is how `down` and the test sessions find it again.

Authentication: connections over TCP (127.0.0.1 only) need a password (scram-sha-256), so the
per-service URLs the services receive are really checked; the unix socket, which lives inside
the cluster's own folder, trusts the `postgres` system user for maintenance. The superuser's
password is generated at `initdb` and kept in the cluster folder (mode 600).
"""

from __future__ import annotations

import grp
import hashlib
import hmac
import os
import pwd
import re
import secrets
import shutil
import stat
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from sqlalchemy.engine import URL, make_url

from coulisse.ops import procs
from coulisse.ops.supervise import INFRASTRUCTURE_PRIORITY, Program

Status = Callable[[str], None]

SYSTEM_USER = "postgres"
PROGRAM = "postgres"
SUPERUSER = "postgres"
BIN_DIRS = ("/usr/lib/postgresql",)
REQUIRED = ("initdb", "pg_ctl", "postgres")
# A unix socket path must stay under 108 bytes, including ".s.PGSQL.<port>".
MAX_SOCKET_DIR = 90


class PostgresError(RuntimeError):
    pass


def _quiet(_: str) -> None:
    pass


def find_bin_dir() -> Path | None:
    """PostgreSQL's server binaries: $COULISSE_PG_BIN, PATH, or the newest /usr/lib/postgresql/*."""
    candidates: list[Path] = []
    if os.environ.get("COULISSE_PG_BIN"):
        candidates.append(Path(os.environ["COULISSE_PG_BIN"]))
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for base in BIN_DIRS:
        versions = sorted(
            Path(base).glob("*/bin"),
            key=lambda p: [int(x) for x in re.findall(r"\d+", p.parent.name)] or [0],
            reverse=True,
        )
        candidates.extend(versions)
    for candidate in candidates:
        if all((candidate / name).is_file() for name in REQUIRED):
            return candidate
    return None


def _as_postgres_user() -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the `postgres` system user then."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError as exc:
        raise PostgresError(
            "running as root, PostgreSQL needs the `postgres` system user, which does not exist"
        ) from exc
    return ["runuser", "-u", SYSTEM_USER, "--"]


def _server_user() -> tuple[int, int]:
    """uid and gid the server runs as: `postgres` as root, else this process's own."""
    if os.geteuid() != 0:
        return os.geteuid(), os.getegid()
    entry = pwd.getpwnam(SYSTEM_USER)
    return entry.pw_uid, entry.pw_gid


def _give_to_postgres_user(*paths: Path) -> None:
    if os.geteuid() != 0:
        return
    uid, gid = _server_user()
    for path in paths:
        os.chown(path, uid, gid, follow_symlinks=False)


def _blocking_folder(folder: Path) -> Path | None:
    """The first of `folder` and the folders above it that the server's user cannot traverse.

    Only root runs the server as another user; folders not created yet are counted as
    traversable (they are created with the usual 0755)."""
    if os.geteuid() != 0:
        return None
    entry = pwd.getpwnam(SYSTEM_USER)
    groups = {entry.pw_gid, *(g.gr_gid for g in grp.getgrall() if SYSTEM_USER in g.gr_mem)}
    for path in reversed((folder, *folder.parents)):
        try:
            info = path.stat()
        except FileNotFoundError:
            continue
        if info.st_uid == entry.pw_uid:
            allowed = info.st_mode & 0o100
        elif info.st_gid in groups:
            allowed = info.st_mode & 0o010
        else:
            allowed = info.st_mode & 0o001
        if not allowed:
            return path
    return None


def server_can_enter(folder: Path) -> bool:
    """Whether the user the server runs as can reach `folder` (traverse it and every parent)."""
    return _blocking_folder(folder) is None


def _check_reachable(area: Path) -> None:
    blocked = _blocking_folder(area.parent)
    if blocked is not None:
        info = blocked.stat()
        raise PostgresError(
            f"PostgreSQL runs as the `{SYSTEM_USER}` user, which cannot enter {blocked} "
            f"(mode {oct(info.st_mode & 0o777)}): put the cluster elsewhere or chmod o+x it"
        )


def _own_private_folder(folder: Path) -> None:
    """Create `folder` for the server's user alone, or check that an existing one is exactly that:
    it sits in a world-writable directory, where anybody could have made it first."""
    uid, gid = _server_user()
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        pass
    else:
        os.chown(folder, uid, gid)
        folder.chmod(0o700)
    if not is_private_folder(folder):
        raise PostgresError(
            f"{folder} exists but is not a folder of the server's user with mode 0700; "
            "delete it and start again"
        )


def is_private_folder(folder: Path) -> bool:
    """A real folder (not a link) of the server's user, closed to everybody else."""
    try:
        info = folder.lstat()
    except FileNotFoundError:
        return False
    return (
        stat.S_ISDIR(info.st_mode) and info.st_uid == _server_user()[0] and not info.st_mode & 0o077
    )


def _link(link: Path, target: Path) -> None:
    """Make `link` a symbolic link to `target`, replacing a file or an older link."""
    if link.is_symlink() and link.readlink() == target:
        return
    if link.is_symlink() or link.is_file():
        link.unlink()
    link.symlink_to(target)


def conf_text(*, port: int, socket_dir: Path, durable: bool) -> str:
    lines = [
        "# Written by coulisse.ops.postgres at every start.",
        f"port = {port}",
        "listen_addresses = '127.0.0.1'",
        f"unix_socket_directories = '{socket_dir}'",
        # Five services with a connection pool each, plus the tests' engines.
        "max_connections = 300",
        "shared_buffers = 128MB",
        "logging_collector = off",
        "log_min_messages = warning",
        "log_connections = off",
    ]
    if not durable:
        # Throwaway test clusters: a crash loses the cluster anyway, so skip the disk flushes.
        lines += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
    return "\n".join(lines) + "\n"


@dataclass
class PostgresCluster:
    """A cluster whose files live in `area`: data/, the socket folder, the log, the password.

    With `private` set, a cluster not created yet goes there instead when the server's user
    cannot reach `area`, and `area` becomes a link to it (see the module's docstring).
    """

    area: Path
    port: int = 55432
    durable: bool = True
    log_file: Path | None = None
    bin_dir: Path | None = None
    private: Path | None = None
    nominal: Path = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.nominal = Path(os.path.abspath(self.area))
        if self.nominal.is_symlink():
            # The link to a private folder, recorded by an earlier start. Read, not resolved:
            # if that folder was replaced by a link, `_own_private_folder` must see the link.
            target = self.nominal.parent / os.readlink(self.nominal)
            self.area = Path(os.path.abspath(target))
        else:
            self.area = self.nominal.resolve()
        if self.log_file is None:
            self.log_file = self.area / "postgres.log"
        if self.bin_dir is None:
            self.bin_dir = find_bin_dir()

    @property
    def in_private_folder(self) -> bool:
        return self.private is not None and self.area == self.private

    @property
    def available(self) -> bool:
        return self.bin_dir is not None

    @property
    def data_dir(self) -> Path:
        return self.area / "data"

    @property
    def socket_dir(self) -> Path:
        inside = self.area / "sock"
        if len(str(inside)) <= MAX_SOCKET_DIR:
            return inside
        digest = hashlib.sha256(str(self.area).encode()).hexdigest()[:12]
        return Path("/tmp") / f"coulisse-pg-{digest}"

    @property
    def password_file(self) -> Path:
        return self.area / "superuser-password"

    @property
    def password(self) -> str:
        return self.password_file.read_text().strip()

    @property
    def admin_url(self) -> str:
        """A superuser URL (`postgresql://`), for asyncpg or psql."""
        return URL.create(
            "postgresql",
            username=SUPERUSER,
            password=self.password,
            host="127.0.0.1",
            port=self.port,
            database="postgres",
        ).render_as_string(hide_password=False)

    def _tool(self, name: str) -> str:
        if self.bin_dir is None:
            raise PostgresError(
                "PostgreSQL server binaries not found (set COULISSE_PG_BIN to their folder)"
            )
        return str(self.bin_dir / name)

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*_as_postgres_user(), *args], capture_output=True, text=True, cwd="/"
        )
        if check and result.returncode != 0:
            raise PostgresError(
                f"{Path(args[0]).name} failed ({result.returncode}):\n"
                f"{result.stdout[-2000:]}{result.stderr[-2000:]}"
            )
        return result

    def pid(self) -> int | None:
        """The postmaster's pid (first line of postmaster.pid) if it is running."""
        return procs.running_pid(self.data_dir / "postmaster.pid", str(self.data_dir))

    def running_port(self) -> int | None:
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
        except (FileNotFoundError, PermissionError):
            return None
        return int(lines[3]) if len(lines) > 3 and lines[3].strip().isdigit() else None

    def _place(self) -> None:
        """Choose the private folder for a new cluster the server's user could not reach."""
        if self.private is None or self.in_private_folder:
            return
        if self.nominal.is_symlink() or (self.data_dir / "PG_VERSION").is_file():
            return
        self.nominal.parent.mkdir(parents=True, exist_ok=True)
        if server_can_enter(self.nominal.parent):
            return
        _check_reachable(self.private)
        # Recorded before the folder exists: an interrupted start still leaves a trace to clean.
        shutil.rmtree(self.nominal, ignore_errors=True)
        self.nominal.symlink_to(self.private, target_is_directory=True)
        default_log = self.log_file == self.area / "postgres.log"
        self.area = self.private
        if default_log:
            self.log_file = self.area / "postgres.log"

    def init(self, status: Status = _quiet) -> bool:
        """initdb once per folder. True if the cluster was created now."""
        self._place()
        if self.in_private_folder:
            _own_private_folder(self.area)
        if (self.data_dir / "PG_VERSION").is_file():
            return False
        status("initialising a PostgreSQL cluster")
        if not self.in_private_folder:
            self.area.mkdir(parents=True, exist_ok=True)
            _check_reachable(self.area)
            self.area.chmod(0o755)
            _give_to_postgres_user(self.area)
        shutil.rmtree(self.data_dir, ignore_errors=True)
        password = secrets.token_urlsafe(24)
        self.password_file.write_text(password + "\n")
        self.password_file.chmod(0o600)
        # initdb runs as the postgres user and must read the password once.
        handoff = self.area / ".initdb-password"
        handoff.write_text(password + "\n")
        handoff.chmod(0o600)
        _give_to_postgres_user(handoff)
        try:
            self._run(
                self._tool("initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                f"--pwfile={handoff}",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            )
        finally:
            handoff.unlink(missing_ok=True)
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write("\ninclude_if_exists = 'coulisse.conf'\n")
        return True

    def start(self, status: Status = _quiet, timeout: float = 60.0) -> bool:
        """Start the cluster, or reuse it if it already runs on our port. True if started now."""
        self.init(status)
        if self.pid() is not None:
            if self.running_port() == self.port:
                status(f"PostgreSQL already running (pid {self.pid()})")
                return False
            status("PostgreSQL is running on another port: restarting it")
            self.stop()
        if procs.port_open(self.port):
            raise PostgresError(f"port {self.port} is already in use by another process")
        self.configure()
        server_log = self._server_log()
        server_log.touch()
        _give_to_postgres_user(server_log)
        status("starting PostgreSQL")
        result = self._run(
            self._tool("pg_ctl"),
            "start",
            "-D",
            str(self.data_dir),
            "-l",
            str(server_log),
            "-w",
            "-t",
            str(int(timeout)),
            "-s",
            check=False,
        )
        if result.returncode != 0:
            raise PostgresError(
                f"PostgreSQL did not start; end of {server_log}:\n{procs.tail(server_log)}"
            )
        self._wait_accepting(timeout)
        status(f"PostgreSQL ready on 127.0.0.1:{self.port} (pid {self.pid()})")
        return True

    def configure(self) -> None:
        """The socket folder and `coulisse.conf` (port, socket, durability), read at each start."""
        _check_reachable(self.area)
        socket_dir = self.socket_dir
        socket_dir.mkdir(parents=True, exist_ok=True)
        _give_to_postgres_user(socket_dir)
        conf = self.data_dir / "coulisse.conf"
        conf.write_text(conf_text(port=self.port, socket_dir=socket_dir, durable=self.durable))
        _give_to_postgres_user(conf)

    def prepare(self, status: Status = _quiet) -> None:
        """All a supervised start needs: the cluster (initdb once) and its configuration. The log
        is supervisord's (`program()`), written by supervisord itself: no link into the private
        folder is needed for it."""
        self.init(status)
        self.configure()
        assert self.log_file is not None
        if self.log_file.is_symlink():
            self.log_file.unlink()

    def program(self) -> Program:
        """The postmaster in the foreground (`postgres -D`), as the `postgres` user when run as
        root, first to start and last to stop. SIGINT is PostgreSQL's fast shutdown; its own
        children are its business, so only the postmaster is signalled."""
        return Program(
            name=PROGRAM,
            command=[self._tool("postgres"), "-D", str(self.data_dir)],
            environment={},
            # The server's user may not be able to enter the checkout.
            directory=Path("/"),
            priority=INFRASTRUCTURE_PRIORITY,
            user=SYSTEM_USER if os.geteuid() == 0 else None,
            stop_signal="INT",
            stop_wait=30,
            stop_as_group=False,
            # After a kill, the new postmaster waits for the old one's children to be gone.
            start_retries=20,
        )

    def wait_accepting(self, timeout: float = 60.0) -> None:
        """The server runs (postmaster.pid) and accepts TCP connections on its port."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pid() is not None and procs.port_open(self.port):
                return
            time.sleep(0.1)
        raise PostgresError(
            f"PostgreSQL does not accept connections on port {self.port}; end of "
            f"{self.log_file}:\n{procs.tail(self.log_file) if self.log_file else ''}"
        )

    def _server_log(self) -> Path:
        """The file the server writes its log to (pg_ctl opens it as the server's user): the
        requested one, or one in the cluster's folder, linked from the requested place."""
        assert self.log_file is not None
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        if server_can_enter(self.log_file.parent):
            if self.log_file.is_symlink():
                self.log_file.unlink()
            return self.log_file
        server_log = self.area / "postgres.log"
        _link(self.log_file, server_log)
        return server_log

    def _wait_accepting(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if procs.port_open(self.port):
                return
            time.sleep(0.1)
        raise PostgresError(f"PostgreSQL does not accept connections on port {self.port}")

    def stop(self, timeout: float = 60.0) -> bool:
        """A fast shutdown with pg_ctl; immediate, then SIGKILL by pid if that fails."""
        pid = self.pid()
        if pid is None:
            return False
        for mode in ("fast", "immediate"):
            result = self._run(
                self._tool("pg_ctl"),
                "stop",
                "-D",
                str(self.data_dir),
                "-m",
                mode,
                "-w",
                "-t",
                str(int(timeout)),
                "-s",
                check=False,
            )
            if result.returncode == 0 and procs.wait_exit(pid, str(self.data_dir), 5):
                return True
        procs.terminate(pid, str(self.data_dir), timeout=5)
        return True

    def remove_files(self) -> None:
        """Delete the cluster's files (stop it first), and the link to its private folder."""
        shutil.rmtree(self.area, ignore_errors=True)
        if self.nominal.is_symlink():
            self.nominal.unlink()


# ---------------------------------------------------------------------------------------------
# Roles and databases


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def service_password(admin_url: str, service: str) -> str:
    """Stable for a given cluster (derived from its superuser URL), so URLs survive a re-run."""
    return hmac.new(admin_url.encode(), f"coulisse/{service}".encode(), hashlib.sha256).hexdigest()[
        :32
    ]


def async_url(url: str, database: str | None = None) -> str:
    """The same server as an SQLAlchemy asyncpg URL, optionally for another database."""
    parsed = make_url(url).set(drivername="postgresql+asyncpg")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def _asyncpg_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def ensure_service_database(
    admin_url: str, service: str, *, password: str | None = None
) -> str:
    """Role and database `coulisse_<service>` (the role owns the database); returns its URL."""
    name = f"coulisse_{service.replace('-', '_')}"
    password = password or service_password(admin_url, service)
    conn = await asyncpg.connect(_asyncpg_url(admin_url))
    try:
        if await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", name):
            await conn.execute(
                f"ALTER ROLE {_ident(name)} WITH LOGIN PASSWORD {_literal(password)}"
            )
        else:
            await conn.execute(
                f"CREATE ROLE {_ident(name)} WITH LOGIN PASSWORD {_literal(password)}"
            )
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f"ALTER DATABASE {_ident(name)} OWNER TO {_ident(name)}")
        else:
            await conn.execute(f"CREATE DATABASE {_ident(name)} OWNER {_ident(name)}")
    finally:
        await conn.close()
    return (
        make_url(admin_url)
        .set(drivername="postgresql+asyncpg", username=name, password=password, database=name)
        .render_as_string(hide_password=False)
    )


async def create_database(admin_url: str, name: str) -> str:
    """A fresh empty database owned by the admin user; returns its asyncpg URL."""
    conn = await asyncpg.connect(_asyncpg_url(admin_url))
    try:
        await conn.execute(f"CREATE DATABASE {_ident(name)}")
    finally:
        await conn.close()
    return async_url(admin_url, name)


async def drop_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(_asyncpg_url(admin_url))
    try:
        # FORCE closes connections a test left open (PostgreSQL 13+).
        await conn.execute(f"DROP DATABASE IF EXISTS {_ident(name)} WITH (FORCE)")
    finally:
        await conn.close()
