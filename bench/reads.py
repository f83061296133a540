"""The read benchmark: S1-S4 of issue 10 against Carespace and a raw-SQL baseline.

    .venv/bin/python -m bench.reads [--database sqlite|postgres|both] [--quick] [--label NAME]

For each database (a fresh one per data set, created and dropped here, each database in its own
process) it writes the data set of bench/dataset.py with bulk inserts, then starts Carespace and
the raw baseline (bench/servers.py) as two processes on free loopback ports under the same
uvicorn settings, checks that both give the same answer to every query, counts each server's SQL
statements per request, and drives each query with one async httpx load generator at 1 and 16
concurrent connections, alternating the two servers for several rounds (every response is
checked for GraphQL `errors`). It prints requests per second, p50/p95/p99 latency, server CPU
per request (utime + stime from /proc of the server process), SQL statements per request, peak
RSS (VmHWM), and Carespace's throughput as a ratio of the baseline's (median of the rounds, with
min and max), then PASS/FAIL lines for the issue's targets. Results go to
bench/results/reads[-LABEL].md (table) and .png (plot).

Full run: the issue's data set (scale 1) at 1 and 16 connections, three rounds of 1.5 s per
server, and the ten times larger one (scale 10) at 1 connection, two rounds. --quick: one round
of 0.5 s, larger data set at scale 2 (for development; its figures are not the targets').
Exit status 0 when every target is met.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

POSTGRES_SERVER = os.environ.get("CARESPACE_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parent.parent

S1 = """query S1($id: ID!, $first: Int!) { healthspace(id: $id) { myClients(first: $first) {
  totalCount nodes { id firstName lastName dateOfBirth identificationNumber email } } } }"""
S2 = """query S2 { viewer { memberships { roles healthspace { name } } } }"""
S3 = """query S3($id: ID!) { healthspace(id: $id) { tasks { counts { clientsWithoutConnection
  pendingJoinRequests openInvitations expiringInvitations myClientsWithTasks } } } }"""
S4 = """query S4($id: ID!, $first: Int!) { healthspace(id: $id) { members(kind: CLIENT,
  first: $first) { totalCount nodes { id firstName lastName
  connections { id staff { id firstName lastName } } } } } }"""


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    document: str
    viewer: str  # which token of bench.dataset.DataSet asks
    first: int | None  # page size; the statement count is also taken at 5 nodes
    target_1: float  # Carespace / baseline throughput at 1 connection, at least
    target_16: float


SCENARIOS = [
    Scenario("S1", "myClients(first: 50), clinician", S1, "clinician_token", 50, 0.30, 0.25),
    Scenario("S2", "viewer.memberships, clinician", S2, "clinician_token", None, 0.30, 0.25),
    Scenario("S3", "tasks.counts, assistant", S3, "assistant_token", None, 0.60, 0.60),
    Scenario(
        "S4", "members(CLIENT, 100)+connections, admin", S4, "administrator_token", 100, 0.30, 0.25
    ),
]


@dataclass(frozen=True)
class Plan:
    rounds: int
    seconds: float
    large_scale: float
    large_rounds: int

    @classmethod
    def of(cls, quick: bool) -> Plan:
        return cls(1, 0.5, 2, 1) if quick else cls(3, 1.5, 10, 2)


# --- measurements --------------------------------------------------------------------------------


@dataclass
class Phase:
    """One timed run of one query against one server."""

    requests: int
    seconds: float
    latencies: list[float]
    cpu_seconds: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


@dataclass
class Figures:
    """One server, one query, one concurrency, all rounds together."""

    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    cpu_ms: float  # server CPU per request
    rps_rounds: list[float]


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def figures_of(phases: list[Phase]) -> Figures:
    latencies = [value for phase in phases for value in phase.latencies]
    requests = sum(phase.requests for phase in phases)
    return Figures(
        rps=requests / sum(phase.seconds for phase in phases),
        p50_ms=_quantile(latencies, 0.50) * 1000,
        p95_ms=_quantile(latencies, 0.95) * 1000,
        p99_ms=_quantile(latencies, 0.99) * 1000,
        cpu_ms=sum(phase.cpu_seconds for phase in phases) / requests * 1000,
        rps_rounds=[phase.rps for phase in phases],
    )


@dataclass
class Row:
    database: str
    scale: float
    scenario: str
    connections: int
    carespace: Figures
    raw: Figures
    ratio: float  # median of the per-round ratios
    ratio_min: float
    ratio_max: float


@dataclass
class DatabaseResult:
    database: str
    rows: list[Row] = field(default_factory=list)
    # scenario -> scale -> (carespace, raw) statements per request, at full page size
    statements: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    # scenario -> statements per request at 5 nodes (Carespace)
    statements_at_5: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    setup_seconds: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


# --- servers ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """One server process (bench/servers.py) on a free loopback port."""

    def __init__(self, kind: str, database_url: str) -> None:
        self.kind = kind
        self.port = _free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.servers", kind, database_url, str(self.port)],
            cwd=ROOT,
        )
        self.url = f"http://127.0.0.1:{self.port}"

    async def wait_ready(self, http: httpx.AsyncClient) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the {self.kind} server exited ({self.process.returncode})")
            try:
                await http.get(f"{self.url}/_bench/statements")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1)
        raise RuntimeError(f"the {self.kind} server did not start")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


# --- the load generator ----------------------------------------------------------------------


class BenchError(Exception):
    pass


def request_of(scenario: Scenario, healthspace_id: str, first: int | None = None) -> bytes:
    variables: dict[str, Any] = {} if scenario.name == "S2" else {"id": healthspace_id}
    if scenario.first is not None:
        variables["first"] = first or scenario.first
    return orjson.dumps(
        {"query": scenario.document, "operationName": scenario.name, "variables": variables}
    )


async def ask(http: httpx.AsyncClient, server: Server, body: bytes, token: str) -> Any:
    response = await http.post(
        f"{server.url}/graphql",
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    answer = orjson.loads(response.content)
    if response.status_code != 200 or answer.get("errors") or not answer.get("data"):
        raise BenchError(f"{server.kind} answered {response.status_code}: {answer}")
    return answer["data"]


async def drive(
    http: httpx.AsyncClient,
    server: Server,
    body: bytes,
    token: str,
    connections: int,
    seconds: float,
) -> Phase:
    """`connections` workers send the request back to back for `seconds`."""
    latencies: list[float] = []
    cpu_before = server.cpu_seconds()
    started = time.perf_counter()
    deadline = started + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            begun = time.perf_counter()
            await ask(http, server, body, token)
            latencies.append(time.perf_counter() - begun)

    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    return Phase(len(latencies), elapsed, latencies, server.cpu_seconds() - cpu_before)


async def statements_per_request(
    http: httpx.AsyncClient, server: Server, body: bytes, token: str, times: int = 5
) -> float:
    await http.get(f"{server.url}/_bench/statements?reset=1")
    for _ in range(times):
        await ask(http, server, body, token)
    response = await http.get(f"{server.url}/_bench/statements?reset=1")
    statements: int = orjson.loads(response.content)["statements"]
    return statements / times


# --- one database, one data set ------------------------------------------------------------


async def _create(kind: str, scale: float) -> tuple[str, Any, str | None, float]:
    """A fresh migrated database filled with the data set; (url, data set, directory, seconds)."""
    from bench.dataset import populate
    from models.database import close_database, migrate, open_database

    directory = None
    if kind == "sqlite":
        directory = tempfile.mkdtemp(prefix="carespace-reads-")
        url = f"sqlite://{directory}/bench.sqlite3"
    else:
        url = f"{POSTGRES_SERVER.rstrip('/')}/carespace_reads_{uuid.uuid4().hex[:12]}"
    started = time.perf_counter()
    await open_database(url, create=kind == "postgres")
    try:
        await migrate(url)
        data = await populate(scale)
        if kind == "postgres":
            from tortoise.connection import get_connection

            await get_connection("default").execute_script("ANALYZE")
    finally:
        await close_database()
    return url, data, directory, time.perf_counter() - started


async def _drop(kind: str, url: str, directory: str | None) -> None:
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        return
    import asyncpg

    name = url.rsplit("/", 1)[1]
    connection = await asyncpg.connect(f"{POSTGRES_SERVER.rstrip('/')}/postgres")
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def run_data_set(
    kind: str, scale: float, plan: Plan, result: DatabaseResult, *, large: bool
) -> None:
    url, data, directory, setup = await _create(kind, scale)
    result.setup_seconds[f"{scale:g}"] = round(setup, 1)
    print(
        f"  data set x{scale:g}: {data.clients:,} clients, {data.connections:,} connections, "
        f"{data.invitations:,} invitations ({setup:.0f} s to write)",
        flush=True,
    )
    servers = {name: Server(name, url) for name in ("carespace", "raw")}
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    try:
        async with httpx.AsyncClient(limits=limits, timeout=60) as http:
            for server in servers.values():
                await server.wait_ready(http)
            await measure(http, servers, data, scale, plan, result, large=large)
        for name, server in servers.items():
            key = f"{name} x{scale:g}"
            result.peak_rss_mb[key] = round(server.peak_rss_mb(), 1)
    finally:
        for server in servers.values():
            server.stop()
        await _drop(kind, url, directory)


async def measure(
    http: httpx.AsyncClient,
    servers: dict[str, Server],
    data: Any,
    scale: float,
    plan: Plan,
    result: DatabaseResult,
    *,
    large: bool,
) -> None:
    healthspace_id = str(data.healthspace_id)
    for scenario in SCENARIOS:
        token = getattr(data, scenario.viewer)
        body = request_of(scenario, healthspace_id)
        answers = {name: await ask(http, server, body, token) for name, server in servers.items()}
        if answers["carespace"] != answers["raw"]:
            result.problems.append(
                f"{scenario.name} x{scale:g}: Carespace and the baseline answer differently: "
                f"{json.dumps(answers)[:600]}"
            )
        result.statements.setdefault(scenario.name, {})[f"{scale:g}"] = [
            await statements_per_request(http, servers[name], body, token)
            for name in ("carespace", "raw")
        ]
        if scenario.first is not None and not large:
            small = request_of(scenario, healthspace_id, first=5)
            result.statements_at_5[scenario.name] = await statements_per_request(
                http, servers["carespace"], small, token
            )
        for connections in (1,) if large else (1, 16):
            rounds = plan.large_rounds if large else plan.rounds
            phases: dict[str, list[Phase]] = {"carespace": [], "raw": []}
            for server in servers.values():  # warm up: code paths, caches, pools
                await drive(http, server, body, token, connections, min(0.3, plan.seconds))
            for number in range(rounds):
                order = ["carespace", "raw"] if number % 2 == 0 else ["raw", "carespace"]
                for name in order:
                    phases[name].append(
                        await drive(http, servers[name], body, token, connections, plan.seconds)
                    )
            ratios = [
                mine.rps / theirs.rps
                for mine, theirs in zip(phases["carespace"], phases["raw"], strict=True)
            ]
            row = Row(
                database=result.database,
                scale=scale,
                scenario=scenario.name,
                connections=connections,
                carespace=figures_of(phases["carespace"]),
                raw=figures_of(phases["raw"]),
                ratio=statistics.median(ratios),
                ratio_min=min(ratios),
                ratio_max=max(ratios),
            )
            result.rows.append(row)
            print("  " + line_of(row, result), flush=True)


def run_database(kind: str, plan: Plan) -> DatabaseResult:
    result = DatabaseResult(database=kind)
    print(f"\n== {kind} ==", flush=True)
    asyncio.run(run_data_set(kind, 1, plan, result, large=False))
    asyncio.run(run_data_set(kind, plan.large_scale, plan, result, large=True))
    return result


# --- the report --------------------------------------------------------------------------------

HEADER = (
    "| db | data | query | conns | Carespace req/s | p50 / p95 / p99 ms | CPU ms/req "
    "| SQL/req | baseline req/s | p50 / p95 / p99 ms | CPU ms/req | SQL/req "
    "| ratio (min-max) | CPU ratio |"
)


def line_of(row: Row, result: DatabaseResult) -> str:
    mine, theirs = row.carespace, row.raw
    statements = result.statements[row.scenario][f"{row.scale:g}"]
    return (
        f"| {row.database} | x{row.scale:g} | {row.scenario} | {row.connections} "
        f"| {mine.rps:.0f} | {mine.p50_ms:.1f} / {mine.p95_ms:.1f} / {mine.p99_ms:.1f} "
        f"| {mine.cpu_ms:.2f} | {statements[0]:g} "
        f"| {theirs.rps:.0f} | {theirs.p50_ms:.1f} / {theirs.p95_ms:.1f} / {theirs.p99_ms:.1f} "
        f"| {theirs.cpu_ms:.2f} | {statements[1]:g} "
        f"| {row.ratio:.2f}x ({row.ratio_min:.2f}-{row.ratio_max:.2f}) "
        f"| {theirs.cpu_ms / mine.cpu_ms if mine.cpu_ms else 0:.2f}x |"
    )


def checks(result: DatabaseResult, plan: Plan) -> list[tuple[str, str, bool]]:
    """(target, measured, met) for the issue's targets on one database."""
    found: list[tuple[str, str, bool]] = []
    by_key = {(row.scale, row.scenario, row.connections): row for row in result.rows}
    for scenario in SCENARIOS:
        for connections, target in ((1, scenario.target_1), (16, scenario.target_16)):
            row = by_key.get((1, scenario.name, connections))
            if row:
                found.append(
                    (
                        f"{scenario.name} at {connections} conn >= {target:.2f}x baseline",
                        f"{row.ratio:.2f}x",
                        row.ratio >= target,
                    )
                )
        counts = result.statements.get(scenario.name, {})
        full = counts.get("1", [0])[0]
        larger = counts.get(f"{plan.large_scale:g}", [full])[0]
        found.append(
            (
                f"{scenario.name} SQL/request same on larger data set",
                f"{full:g} vs {larger:g}",
                full == larger,
            )
        )
        if scenario.name in result.statements_at_5:
            five = result.statements_at_5[scenario.name]
            found.append(
                (
                    f"{scenario.name} SQL/request same for 5 and {scenario.first} nodes",
                    f"{five:g} vs {full:g}",
                    five == full,
                )
            )
    small = by_key.get((1, "S1", 1))
    large = by_key.get((plan.large_scale, "S1", 1))
    if small and large:
        found.append(
            (
                f"S1 p95 on x{plan.large_scale:g} within 1.5x of x1",
                f"{large.carespace.p95_ms:.1f} vs {small.carespace.p95_ms:.1f} ms",
                large.carespace.p95_ms <= 1.5 * small.carespace.p95_ms,
            )
        )
    for problem in result.problems:
        found.append(("same answer as the baseline", problem, False))
    return found


def write_report(
    results: list[DatabaseResult], plan: Plan, label: str, source: str | None = None
) -> bool:
    RESULTS.mkdir(exist_ok=True)
    stem = "reads" if not label else f"reads-{label}"
    now = time.strftime("%Y-%m-%d %H:%M")
    opening = (
        f"Figures of {source}, table written again on {now}; "
        if source
        else f"`python -m bench.reads` on {now}, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f} at the end; "
    )
    lines = [
        f"# Read benchmark{f' ({label})' if label else ''}",
        "",
        opening
        + f"{plan.rounds} rounds of {plan.seconds:g} s per server (x1), {plan.large_rounds} "
        f"at x{plan.large_scale:g}. Ratio: Carespace req/s / baseline req/s, median of the "
        "rounds (min-max). CPU: server process utime+stime per request. CPU ratio: baseline "
        "CPU per request / Carespace CPU per request, the figure a busy machine disturbs least "
        "(the load generator shares the 2 cores with both servers and everything else).",
        "",
        HEADER,
        "|" + "---|" * (HEADER.count("|") - 1),
    ]
    passed = True
    verdicts = []
    for result in results:
        lines += [line_of(row, result) for row in result.rows]
        for target, measured, ok in checks(result, plan):
            verdicts.append(f"- {'PASS' if ok else 'FAIL'} {result.database}: {target}: {measured}")
            passed &= ok
    lines += [
        "",
        "Peak RSS (MB): "
        + "; ".join(
            f"{result.database} {key} {value:g}"
            for result in results
            for key, value in result.peak_rss_mb.items()
        ),
        "",
        "## Targets",
        "",
        *verdicts,
        "",
    ]
    (RESULTS / f"{stem}.md").write_text("\n".join(lines))
    (RESULTS / f"{stem}.json").write_text(
        json.dumps([asdict(result) for result in results], indent=1)
    )
    plot(results, RESULTS / f"{stem}.png", label)
    print("\n" + "\n".join(verdicts))
    print(f"\nWrote {RESULTS / stem}.md, .png and .json")
    return passed


def plot(results: list[DatabaseResult], path: Path, label: str) -> None:
    """Bars: Carespace / baseline per query, connections and database, with min-max whiskers
    and the targets as ticks."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [row for result in results for row in result.rows if row.scale == 1]
    figure, axis = plt.subplots(figsize=(10, 4.5))
    names = [f"{row.scenario}\n{row.database[:2]} {row.connections}c" for row in rows]
    positions = range(len(rows))
    colors = ["#4c72b0" if row.database == "sqlite" else "#dd8452" for row in rows]
    axis.bar(
        positions,
        [row.ratio for row in rows],
        color=colors,
        yerr=[
            [row.ratio - row.ratio_min for row in rows],
            [row.ratio_max - row.ratio for row in rows],
        ],
        capsize=3,
    )
    targets = {scenario.name: scenario for scenario in SCENARIOS}
    for position, row in zip(positions, rows, strict=True):
        scenario = targets[row.scenario]
        target = scenario.target_1 if row.connections == 1 else scenario.target_16
        axis.plot([position - 0.4, position + 0.4], [target, target], color="black", lw=1.5)
    axis.set_xticks(list(positions), names, fontsize=7)
    axis.set_ylabel("Carespace req/s ÷ raw baseline req/s")
    axis.set_title(
        f"Read benchmark{f' ({label})' if label else ''}: SQLite (blue), PostgreSQL (orange); "
        "black ticks: targets"
    )
    axis.set_ylim(0, max([1.0] + [row.ratio_max * 1.1 for row in rows]))
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.reads", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--quick", action="store_true", help="one short round, larger set x2")
    parser.add_argument("--label", default="", help="suffix for the result files")
    parser.add_argument("--json-out", help=argparse.SUPPRESS)
    parser.add_argument("--report-from", help="write the report again from a results .json")
    args = parser.parse_args(argv)
    plan = Plan.of(args.quick)
    if args.report_from:
        saved = json.loads(Path(args.report_from).read_text())
        results = [_result_from(data) for data in saved]
        return 0 if write_report(results, plan, args.label, args.report_from) else 1
    if args.database == "both":
        # One process per database: Tortoise keeps per-dialect state in its model classes.
        results = []
        for kind in ("sqlite", "postgres"):
            with tempfile.NamedTemporaryFile(suffix=".json") as out:
                command = [sys.executable, "-m", "bench.reads", "--database", kind]
                command += ["--json-out", out.name] + (["--quick"] if args.quick else [])
                subprocess.run(command, check=False, cwd=ROOT)
                text = Path(out.name).read_text()
            if text:
                results.append(_result_from(json.loads(text)))
        passed = write_report(results, plan, args.label)
    else:
        result = run_database(args.database, plan)
        if args.json_out:
            Path(args.json_out).write_text(json.dumps(asdict(result)))
            return 0
        passed = write_report([result], plan, args.label)
    print("All targets met." if passed else "Some targets were missed.")
    return 0 if passed else 1


def _result_from(data: dict[str, Any]) -> DatabaseResult:
    rows = [
        Row(**{**row, "carespace": Figures(**row["carespace"]), "raw": Figures(**row["raw"])})
        for row in data.pop("rows")
    ]
    return DatabaseResult(rows=rows, **data)


if __name__ == "__main__":
    sys.exit(main())
