"""Where S1-S4 spend their time inside `schema.execute`: cProfile over many runs of each query
on the benchmark's data set (SQLite in a temporary file), without HTTP.

    .venv/bin/python -m bench.profile_reads [--runs 200] [--top 25] [--scenario S1]

With CARESPACE_PROFILE_POSTGRES=postgres://postgres@127.0.0.1:5432 it profiles on PostgreSQL
(a database carespace_profile, created and dropped).

Prints per query: milliseconds per execution (wall clock and CPU; on a busy machine the CPU
figure is the one to compare), asyncio tasks created per execution, SQL
statements per execution, and the functions with the most own time (tottime), so a change to
schema/ or the domain reads can be judged by what it removes.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import json
import logging
import os
import pstats
import shutil
import tempfile
import time
from typing import Any

from bench.dataset import populate
from bench.reads import SCENARIOS, request_of
from bench.servers import StatementCounter


async def profile(
    runs: int, top: int, only: str | None, freeze: bool, sort: str, dump: str | None
) -> None:
    from models.database import close_database, migrate, open_database
    from permissions.sessions import session_for_token
    from permissions.viewer import Viewer
    from schema.context import Context
    from schema.settings import Settings
    from server import build_schema

    directory = tempfile.mkdtemp(prefix="carespace-profile-")
    postgres = os.environ.get("CARESPACE_PROFILE_POSTGRES")  # a server URL, e.g. postgres://...
    url = f"{postgres}/carespace_profile" if postgres else f"sqlite://{directory}/profile.sqlite3"
    await open_database(url, create=bool(postgres))
    try:
        await migrate(url)
        data = await populate(1)
        settings = Settings(debug=False, graphiql=False, introspection=False)
        schema = build_schema(settings)
        if freeze:
            gc.collect()
            gc.freeze()
        loop = asyncio.get_running_loop()
        tasks = [0]
        default_factory = loop.get_task_factory()

        def counting_factory(loop: Any, coro: Any, **kwargs: Any) -> asyncio.Future[Any]:
            tasks[0] += 1
            if default_factory is not None:
                return default_factory(loop, coro, **kwargs)
            return asyncio.Task(coro, loop=loop, **kwargs)

        for scenario in SCENARIOS:
            if only and scenario.name != only:
                continue
            request = json.loads(request_of(scenario, str(data.healthspace_id)))
            token = getattr(data, scenario.viewer)

            async def once(request: dict[str, Any] = request, token: str = token) -> None:
                session = await session_for_token(token)
                assert session is not None
                viewer = Viewer(account=session.account, session=session)
                context = Context(request=None, response=None, settings=settings, viewer=viewer)  # type: ignore[arg-type]
                result = await schema.execute(
                    request["query"], variable_values=request["variables"], context_value=context
                )
                assert not result.errors, result.errors

            for _ in range(20):  # warm: caches, code paths
                await once()
            counter = StatementCounter()
            logger = logging.getLogger("tortoise.db_client")
            logger.addHandler(counter)
            logger.setLevel(logging.DEBUG)
            await once()
            logger.removeHandler(counter)
            logger.setLevel(logging.WARNING)
            loop.set_task_factory(counting_factory)
            tasks[0] = 0
            await once()
            loop.set_task_factory(default_factory)
            started = time.perf_counter()
            cpu_started = time.process_time()
            for _ in range(runs):
                await once()
            plain = (time.perf_counter() - started) / runs * 1000
            cpu = (time.process_time() - cpu_started) / runs * 1000
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(runs):
                await once()
            profiler.disable()
            if dump:
                profiler.dump_stats(f"{dump}-{scenario.name}.prof")
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            calls = stats.total_calls / runs  # type: ignore[attr-defined]
            stats.sort_stats(sort).print_stats(top)
            print(
                f"\n== {scenario.name} {scenario.title}: {plain:.2f} ms per execution, {cpu:.2f} ms "
                f"CPU (this process, SQLite's thread included) "
                f"(session lookup included), {tasks[0]} asyncio tasks, "
                f"{counter.count} SQL statements, {calls:,.0f} Python function calls (the figure "
                "load on the machine does not change)"
            )
            print("\n".join(out.getvalue().splitlines()[6 : 6 + top + 4]))
    finally:
        if postgres:
            from tortoise.connection import get_connection

            connection = get_connection("default")
            await connection.close()
            await connection.db_delete()
        await close_database()
        shutil.rmtree(directory, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_reads")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--scenario")
    parser.add_argument("--sort", default="tottime", help="pstats order: tottime, cumulative")
    parser.add_argument("--dump", help="write each profile to DUMP-S1.prof ... (pstats)")
    parser.add_argument("--gc-freeze", action="store_true", help="gc.freeze() after start-up")
    args = parser.parse_args()
    asyncio.run(profile(args.runs, args.top, args.scenario, args.gc_freeze, args.sort, args.dump))


if __name__ == "__main__":
    main()
