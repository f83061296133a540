"""The main reads (S1-S4 of bench/reads.py) use indexes on a larger data set: PostgreSQL's
EXPLAIN of every SELECT they send shows no sequential scan that filters a large table down to
a small part of it (which is what a missing index looks like). A scan that keeps most of a
table, such as counting every client of the one big Healthspace, is the right plan and passes.
PostgreSQL only: SQLite's planner is not the production one."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import data_of, execute
from tortoise.connection import get_connection

from bench.dataset import populate
from bench.reads import SCENARIOS, request_of

LARGE_TABLE_ROWS = 1_000
# A sequential scan keeping less than this share of a large table's rows wanted an index.
SMALL_SHARE = 0.10
# The larger data set of bench/reads.py: 20,000 clients, 22,500 connections, 100,000 invitations.
SCALE = 10


class StatementLog(logging.Handler):
    """Each SELECT Tortoise sends, with its parameters (logged at DEBUG as "%s: %s")."""

    _logger = logging.getLogger("tortoise.db_client")

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.selects: list[tuple[str, list[Any]]] = []

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args if isinstance(record.args, tuple) else ()
        if len(args) == 2 and str(args[0]).lstrip().upper().startswith("SELECT"):
            self.selects.append((str(args[0]), list(args[1] or [])))

    def __enter__(self) -> StatementLog:
        self._previous = self._logger.level
        self._logger.addHandler(self)
        self._logger.setLevel(logging.DEBUG)
        return self

    def __exit__(self, *exc: object) -> None:
        self._logger.removeHandler(self)
        self._logger.setLevel(self._previous)


def plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)


async def test_the_main_reads_scan_no_large_table_for_a_small_part_of_it(
    db: str, http: httpx.AsyncClient
) -> None:
    connection = get_connection("default")
    if connection.capabilities.dialect != "postgres":
        pytest.skip("EXPLAIN plans are checked on PostgreSQL")
    # given the benchmark's larger data set, with fresh statistics
    data = await populate(SCALE)
    await connection.execute_script("ANALYZE")
    sizes = {
        row["relname"]: row["reltuples"]
        for row in await connection.execute_query_dict(
            "SELECT relname, reltuples FROM pg_class WHERE relkind = 'r'"
        )
    }

    # when S1-S4 run through the API
    with StatementLog() as log:
        for scenario in SCENARIOS:
            document = json.loads(request_of(scenario, str(data.healthspace_id)))
            result = await execute(
                http, document["query"], document["variables"], getattr(data, scenario.viewer)
            )
            data_of(result)
    assert len(log.selects) >= 4 * 3

    # then no SELECT reads a large table sequentially to keep a small part of it
    bad = []
    for sql, values in log.selects:
        explained = await connection.execute_query_dict(f"EXPLAIN (FORMAT JSON) {sql}", values)
        plan = explained[0]["QUERY PLAN"]
        plan = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
        for node in plan_nodes(plan):
            table = node.get("Relation Name")
            rows = sizes.get(table or "", 0)
            if (
                node["Node Type"] == "Seq Scan"
                and rows >= LARGE_TABLE_ROWS
                and node["Plan Rows"] < SMALL_SHARE * rows
            ):
                bad.append(f"{table} ({node['Plan Rows']} of {rows:.0f} rows): {sql}")
    assert bad == []
