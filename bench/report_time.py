"""`mlgov report` wall time for 1,000 versions in moto in process (median of 3).

Fixture items come from tests/cli/governance_testkit.py's TableFiller (records.build_items and
metrics.build_items, as registry-sync and metrics-ingest write them). Per version: registration,
a Test decision, QA metrics; every other version also a Prod approval and two production variants.
Counts the DynamoDB requests the report makes (Queries only) next to the time.

Where the time goes: the index Queries are timed on their own (they run in sequence before the
per-version Queries); one version Query and moto's sort of the whole table (done by every Query) are
timed one at a time; every answer of the report runs is recorded and replayed without moto, once as
is (our code alone: build, render, write) and once with a fixed delay per request, with 1 worker and
with the report's thread pool, to show what the pool does when each request waits on a network; the
same report is also run in moto with 1 worker, to show what the pool does there.

    .venv/bin/python bench/report_time.py [--versions 1000] [--repeats 3] [--serial-repeats 1] [--latency-ms 10]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "lambda_src"), str(ROOT / "scripts"), str(ROOT / "tests" / "cli")]
for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
                    "AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": "eu-west-1"}.items():
    os.environ[name] = value
for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "MLGOV_ENDPOINT_URL"):
    os.environ.pop(name, None)

from click.testing import CliRunner  # noqa: E402
from moto import mock_aws  # noqa: E402

from mlgov_cli.context import REPO_ROOT, Context  # noqa: E402
from mlgov_cli.main import cli  # noqa: E402
from governance_testkit import TableFiller  # noqa: E402


def fill(filler: TableFiller, versions: int) -> None:
    for v in range(1, versions + 1):
        day = f"2025-{1 + (v // 28) % 12:02d}-{1 + v % 28:02d}"
        filler.change("credit-risk", v, f"{day}T08:00:00.000Z", use_case="credit-risk", registered_by=f"ds-{v % 7}")
        rejected = v % 10 == 0
        filler.change("credit-risk", v, f"{day}T09:00:00.000Z", use_case="credit-risk",
                      approval="Rejected" if rejected else "Approved", stage="Test",
                      status="Rejected" if rejected else "Approved", reason=f"decision on v{v}",
                      metadata={"rejected_by" if rejected else "approved_by": f"approver-{v % 3}"})
        filler.metrics("credit-risk", v, f"{day}T10:00:00.000Z",
                       {"auc": 0.6 + (v % 40) / 100, "accuracy": 0.7, "p95_latency_ms": 80 + v % 200})
        if v % 2 == 0 and not rejected:
            filler.change("credit-risk", v, f"{day}T11:00:00.000Z", use_case="credit-risk", approval="Approved",
                          stage="Prod", status="Approved", reason="CAB", metadata={"approved_by": "cab"})
            for variant in ("champion", "challenger"):
                filler.metrics("credit-risk", v, f"{day}T12:00:00.000Z", {"invocations": 1000 + v, "latency_p95_ms": 40.0},
                               variant=variant)
        if len(filler.pending) > 500:
            filler.flush()
    filler.flush()


def moto_table(name: str) -> Any:
    """moto's in-memory table, to time the work moto does for every Query."""
    from moto.dynamodb.models import dynamodb_backends

    for regions in dynamodb_backends.values():
        for backend in regions.values():
            if name in backend.tables:
                return backend.tables[name]
    raise LookupError(name)


def params_key(params: dict[str, Any]) -> str:
    return repr(sorted(params.items()))


def main() -> None:
    from mlgov_cli.commands.report import write_report
    from mlgov_cli.report_data import QUERY_WORKERS, TableReader, build_report

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--serial-repeats", type=int, default=1,
                        help="runs of the same report with 1 worker instead of the thread pool, in moto")
    parser.add_argument("--latency-ms", type=float, default=10.0,
                        help="delay injected per request in the latency replay (a stand-in for a network round "
                             "trip, not a measurement of AWS)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mlgov-report-bench-"))
    config_dir = work / "config"
    shutil.copytree(REPO_ROOT / "config", config_dir)
    with mock_aws():
        ctx = Context(config_dir=config_dir)
        filler = TableFiller(ctx.governance_client("dynamodb"), ctx.names.governance_table)
        filler.create_table()
        started = time.perf_counter()
        fill(filler, args.versions)
        print(f"filled {args.versions} versions in {time.perf_counter() - started:.1f} s", flush=True)

        calls: Counter = Counter()
        original = Context.reader_client

        def hooked(self: Context, service: str, as_role: str | None = None) -> Any:
            client = original(self, service, as_role)
            client.meta.events.register("before-call.*.*", lambda event_name, **_: calls.update([event_name.split(".")[-1]]))
            return client

        Context.reader_client = hooked  # type: ignore[method-assign]

        # Every answer is kept for the replays below; the index Queries run one after another before the
        # per-version ones, so their own durations are exact (the per-version ones overlap in the pool).
        answers: dict[str, list[dict[str, Any]]] = {}
        index_seconds: list[float] = []
        original_query = TableReader._query

        def recording(self: TableReader, **params: Any) -> list[dict[str, Any]]:
            started = time.perf_counter()
            items = original_query(self, **params)
            if "IndexName" in params:
                index_seconds.append(time.perf_counter() - started)
            answers[params_key(params)] = items
            return items

        TableReader._query = recording  # type: ignore[method-assign]
        samples, index_samples = [], []
        for _ in range(args.repeats):
            calls.clear()
            index_seconds.clear()
            started = time.perf_counter()
            result = CliRunner().invoke(cli, ["--config", str(config_dir), "report", "--out", str(work / "reports")],
                                        catch_exceptions=False)
            samples.append(time.perf_counter() - started)
            index_samples.append(sum(index_seconds))
            assert result.exit_code == 0, result.output
            print(f"report run {len(samples)}/{args.repeats}: {samples[-1]:.1f} s", file=sys.stderr, flush=True)
        TableReader._query = original_query  # type: ignore[method-assign]
        requests = dict(calls)

        # The same report with 1 worker: what the thread pool does against moto (CPU-bound, one GIL).
        reader = TableReader(ctx.governance_client("dynamodb"), ctx.names.governance_table)
        moto_serial = []
        for _ in range(args.serial_repeats):
            started = time.perf_counter()
            write_report(build_report(ctx.config, reader, workers=1), work / "serial")
            moto_serial.append(time.perf_counter() - started)
            print(f"1-worker run {len(moto_serial)}/{args.serial_repeats}: {moto_serial[-1]:.1f} s", file=sys.stderr, flush=True)

        # moto's own cost per version Query, one at a time: the whole request, and the part of it that
        # sorts every item of the table (moto's Table.all_items, called by each Query before it picks the
        # partition's items).
        sample_versions = range(1, args.versions + 1, max(1, args.versions // 20))
        one_query = []
        for v in sample_versions:
            started = time.perf_counter()
            reader.version_partition("credit-risk", v)
            one_query.append(time.perf_counter() - started)
        table = moto_table(ctx.names.governance_table)
        item_count = sum(len(items) for items in table.items.values())
        sort_all = []
        for _ in range(5):
            started = time.perf_counter()
            table.all_items()
            sort_all.append(time.perf_counter() - started)

    class Replay(TableReader):
        """The recorded answers, with an optional delay per request: our code alone, without moto."""

        def __init__(self, latency_s: float) -> None:
            super().__init__(None, ctx.names.governance_table)
            self.latency_s = latency_s

        def _query(self, **params: Any) -> list[dict[str, Any]]:
            if self.latency_s:
                time.sleep(self.latency_s)
            return answers[params_key(params)]

    def replay(latency_s: float, workers: int, render: bool) -> float:
        started = time.perf_counter()
        model = build_report(ctx.config, Replay(latency_s), workers=workers)
        if render:
            write_report(model, work / "replay")
        assert model["summary"]["versions"] == args.versions, model["summary"]
        return time.perf_counter() - started

    own = [replay(0.0, QUERY_WORKERS, True) for _ in range(3)]
    latency_s = args.latency_ms / 1000
    replay_serial = [replay(latency_s, 1, False) for _ in range(3)]
    replay_pooled = [replay(latency_s, QUERY_WORKERS, False) for _ in range(3)]

    html = work / "reports" / "governance-report.html"
    md = work / "reports" / "governance-report.md"

    def row(name: str, values: list[float], digits: int = 2) -> str:
        return (f"| {name} | {statistics.median(values):.{digits}f} s | "
                f"{', '.join(f'{v:.{digits}f}' for v in values)} |")

    print(f"\n{args.versions:,} versions, {item_count:,} items; DynamoDB requests per report: {requests}; "
          f"HTML {html.stat().st_size / 1e6:.2f} MB, Markdown {md.stat().st_size / 1e6:.2f} MB\n")
    print("| measurement | median | samples |")
    print("|---|---|---|")
    print(row(f"`mlgov report` in moto, whole command, {QUERY_WORKERS} workers (median of {args.repeats})", samples, 1))
    print(row("of which the index Queries (in sequence, before the per-version ones)", index_samples))
    print(row(f"the same report in moto with 1 worker (build + render + write, {args.serial_repeats} run(s))",
              moto_serial, 1))
    print(row(f"one version Query in moto, one at a time ({len(one_query)} versions)", one_query, 3))
    print(row(f"moto sorting all {item_count:,} items of the table (Table.all_items, part of every Query)", sort_all, 3))
    print(row(f"our code alone: build + render + write from recorded answers, {QUERY_WORKERS} workers", own))
    print(row(f"replay with {args.latency_ms:g} ms injected per request, 1 worker", replay_serial))
    print(row(f"replay with {args.latency_ms:g} ms injected per request, {QUERY_WORKERS} workers", replay_pooled))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
