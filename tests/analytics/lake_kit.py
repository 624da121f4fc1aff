"""Writes small lake fixtures in the contract's key layout (mlgov_core.lake_tables), one row at a time.

Rows name only the columns that matter to a test; every other column of the table is written as
JSON null, as the projection writes a missing value. A column the table does not have is an error,
so a fixture cannot drift from the contract.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from urllib.parse import quote

from mlgov_core import archive, keys
from mlgov_core.lake_tables import ALARMS, GATES, HISTORY, METRICS, USE_CASES, VERSIONS, LakeTable


def full_row(table: LakeTable, values: dict) -> dict:
    unknown = set(values) - set(table.column_names())
    if unknown:
        raise KeyError(f"{table.name} has no column(s) {sorted(unknown)}")
    return {name: values.get(name) for name in table.column_names()}


def write_object(lake: Path, key: str, table: LakeTable, rows: list[dict]) -> Path:
    path = lake / key
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(full_row(table, row)) + "\n")
    return path


class Lake:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._config: dict[str, list[dict]] = {USE_CASES.name: [], GATES.name: [], ALARMS.name: []}

    def version(self, group: str, version: int, **values) -> str:
        vid = keys.version_id(group, version)
        write_object(self.root, f"versions/{vid.replace('#', '%23')}.json.gz", VERSIONS,
                     [{"version_id": vid, "model_group": group, "version": version, **values}])
        return vid

    def change(self, group: str, version: int, at: str, item_type: str = "history", **values) -> Path:
        """One history object under history/dt=<day of at>/, keyed as the Object Lock archive keys it."""
        row = {"pk": keys.version_pk(group, version), "sk": keys.history_sk(at, f"{item_type}-{at}"),
               "item_type": item_type, "version_id": keys.version_id(group, version), "model_group": group,
               "version": version, "last_modified": at, "recorded_at": at, **values}
        return write_object(self.root, archive.history_key(row), HISTORY, [row])

    def report(self, group: str, version: int, at: str, kind: str, metrics: dict[str, float], **values) -> Path:
        """One metrics report: one object under metrics/dt=<report day>/, one row per metric."""
        pk, sk = keys.version_pk(group, version), keys.history_sk(at, f"{kind}-{values.get('variant')}")
        rows = [{"version_id": keys.version_id(group, version), "model_group": group, "version": version,
                 "kind": kind, "metric": name, "value": value, "reported_at": at, "report_key": sk, **values}
                for name, value in metrics.items()]
        key = f"metrics/dt={at[:10]}/{quote(pk, safe='')}__{quote(sk, safe='')}.json.gz"
        return write_object(self.root, key, METRICS, rows)

    def use_case(self, **values) -> None:
        self._config[USE_CASES.name].append(values)

    def gate(self, **values) -> None:
        self._config[GATES.name].append(values)

    def alarm(self, **values) -> None:
        self._config[ALARMS.name].append(values)

    def write_config(self) -> None:
        for table in (USE_CASES, GATES, ALARMS):
            if self._config[table.name]:
                write_object(self.root, f"{table.prefix}/{table.name}.json.gz", table, self._config[table.name])
