"""What the benchmarks share: an SMTP server in a process of its own that counts what reaches
it, and a statement counter on Tortoise's log."""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from tortoise.connection import get_connection

from models.database import close_database, migrate, open_database

# --- the SMTP server, in a process of its own ------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _serve_smtp(port: int, control: multiprocessing.connection.Connection) -> None:
    """aiosmtpd on 127.0.0.1:port; answers "stats" on `control` until "stop"."""
    from aiosmtpd.controller import Controller

    lock = threading.Lock()
    seen: Counter[bytes] = Counter()
    last_arrival = [0.0]

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            content: bytes = envelope.original_content or b""
            start = content.find(b"Message-ID:")
            message_id = content[start : content.find(b"\n", start)].strip() if start >= 0 else b""
            with lock:
                seen[message_id or uuid.uuid4().bytes] += 1
                last_arrival[0] = time.time()
            return "250 Message accepted for delivery"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port, server_hostname="sink")
    controller.start()
    control.send("ready")
    while (command := control.recv()) != "stop":
        with lock:
            if command == "clear":
                seen.clear()
                last_arrival[0] = 0.0
            control.send(
                {
                    "received": sum(seen.values()),
                    "duplicates": sum(count - 1 for count in seen.values() if count > 1),
                    "last_arrival": last_arrival[0],
                }
            )
    controller.stop()


@dataclass
class SmtpServer:
    port: int
    process: multiprocessing.process.BaseProcess
    control: multiprocessing.connection.Connection

    @classmethod
    def start(cls) -> SmtpServer:
        port = _free_port()
        parent, child = multiprocessing.get_context("fork").Pipe()
        process = multiprocessing.get_context("fork").Process(
            target=_serve_smtp, args=(port, child), daemon=True
        )
        process.start()
        if not parent.poll(10) or parent.recv() != "ready":
            raise RuntimeError("the SMTP server did not start")
        return cls(port, process, parent)

    def ask(self, command: str = "stats") -> dict[str, Any]:
        self.control.send(command)
        reply: dict[str, Any] = self.control.recv()
        return reply

    def stop(self) -> None:
        self.control.send("stop")
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()


# --- counting statements ---------------------------------------------------------------------


class StatementCounter(logging.Handler):
    """Counts the statements Tortoise logs on `tortoise.db_client` (as tests/conftest.py does),
    without formatting the logged parameters: 10,000 rows of them would dwarf the work timed."""

    _logger = logging.getLogger("tortoise.db_client")
    # COPY: the roster's bulk inserts on PostgreSQL, logged by models/bulk.py.
    _KINDS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "COPY")

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        text = record.args[0] if isinstance(record.args, tuple) and record.args else record.msg
        if str(text).lstrip()[:6].upper().startswith(self._KINDS):
            self.count += 1

    def __enter__(self) -> StatementCounter:
        self._previous = self._logger.level
        self._logger.addHandler(self)
        self._logger.setLevel(logging.DEBUG)
        return self

    def __exit__(self, *exc: object) -> None:
        self._logger.removeHandler(self)
        self._logger.setLevel(self._previous)


# The PostgreSQL server the benchmarks make their databases on.
POSTGRES_SERVER = os.environ.get("CARESPACE_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")


@asynccontextmanager
async def fresh_database(kind: str) -> AsyncIterator[str]:
    """A new, migrated database that is dropped (or deleted) afterwards."""
    directory = None
    if kind == "sqlite":
        directory = tempfile.mkdtemp(prefix="carespace-bench-")
        url = f"sqlite://{directory}/bench.sqlite3"
    else:
        url = f"{POSTGRES_SERVER.rstrip('/')}/carespace_bench_{uuid.uuid4().hex[:12]}"
    await open_database(url, create=kind == "postgres")
    try:
        await migrate(url)
        yield url
    finally:
        if kind == "postgres":
            connection = get_connection("default")
            await connection.close()
            await connection.db_delete()
        await close_database()
        if directory:
            shutil.rmtree(directory, ignore_errors=True)
