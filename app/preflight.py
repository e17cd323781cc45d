"""Checks `serve` makes before it writes anything: the database driver is installed, the host
resolves, the port can be bound, and a database server answers.

Each failure is a `SettingsError` with a one-line reason (the command prints it and exits 2).
"""

from __future__ import annotations

import errno
import socket

from .settings import SettingsError

CONNECT_TIMEOUT_S = 5


def _is_url(db: str) -> bool:
    return "://" in db


def check_database_driver(db: str) -> None:
    """A database URL names a dialect and a driver that are installed."""
    if not _is_url(db):
        return
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        url = make_url(db)
        dialect = url.get_dialect()
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise SettingsError(f"--db: {_first_line(exc)}") from None
    try:
        dialect.import_dbapi()
    except ImportError as exc:
        raise SettingsError(f"--db: the driver for {url.drivername!r} is not installed "
                            f"({exc.name or exc})") from None


def check_database_reachable(db: str) -> None:
    """A database server named by a URL accepts a connection (SQLite files are checked when
    they are opened)."""
    if not _is_url(db) or db.startswith("sqlite"):
        return
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    url = make_url(db)
    args = {"connect_timeout": CONNECT_TIMEOUT_S} if url.get_backend_name() == "postgresql" else {}
    engine = create_engine(url, connect_args=args, pool_pre_ping=False)
    try:
        with engine.connect():
            pass
    except Exception as exc:  # any driver's connection error, reported as one line
        shown = url.render_as_string(hide_password=True)
        raise SettingsError(f"cannot reach database {shown}: {_first_line(exc)}") from None
    finally:
        engine.dispose()


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready socket on host:port, bound as the server would bind it."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        raise SettingsError(f"--host {host!r} does not resolve: {exc}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise SettingsError(f"port {port} on {host} is already in use") from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise SettingsError(f"--host {host!r} is not an address of this machine") from None
        if exc.errno == errno.EACCES:
            raise SettingsError(f"not allowed to listen on {host}:{port}") from None
        raise SettingsError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    # Listening from here on: a client that connects while the application starts up waits in
    # the backlog instead of being refused.
    sock.listen(2048)
    sock.set_inheritable(True)  # worker processes serve the same socket
    return sock


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
