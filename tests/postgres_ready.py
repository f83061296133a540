"""`python tests/postgres_ready.py URL`: exit 0 when PostgreSQL answers at URL. When it does not
and this machine can start its local cluster (pg_ctlcluster), start it once and ask again."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

import asyncpg


async def _answers(url: str) -> bool:
    try:
        connection = await asyncpg.connect(url, timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        print(f"PostgreSQL at {url}: {error}", file=sys.stderr)
        return False
    await connection.close()
    return True


def _start_local_cluster() -> None:
    versions = sorted(Path("/etc/postgresql").glob("*")) if Path("/etc/postgresql").exists() else []
    if not versions or shutil.which("pg_ctlcluster") is None:
        return
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1].name, "main", "start"]
    subprocess.run(command, check=False, timeout=60)


def main() -> int:
    url = sys.argv[1]
    if asyncio.run(_answers(url)):
        return 0
    if "127.0.0.1" in url or "localhost" in url:
        _start_local_cluster()
        if asyncio.run(_answers(url)):
            return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
