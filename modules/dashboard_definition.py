"""The aws_quicksight_dashboard `definition`, built from mlgov_analytics.dashboard.SHEETS.

Plain data, no constructs: modules/governance_dashboard.py puts it into the resource. Every list the
provider reads back as a list of identifiers is sorted by its identifier (the provider has open
perpetual-diff bugs when AWS returns them in another order), and every identifier is derived from
the contract's own ids, so two synths of the same SHEETS give the same text.

Filters: a string column becomes a category filter with a multi-select dropdown; a bigint column a
numeric equality filter with a text field (QuickSight offers no dropdown for numeric filters). Each
filter applies to the visuals of its sheet whose view has the column, across their data sets
(ALL_DATASETS), so the sod_breaches KPI, whose view has none of the audit columns, is never filtered.
"""

from __future__ import annotations

from typing import Any

from mlgov_analytics.dashboard import SHEETS, Sheet, Visual
from mlgov_analytics.views import BY_NAME, View

# Athena/Hive column type -> QuickSight InputColumn type (custom SQL columns).
INPUT_COLUMN_TYPES = {"string": "STRING", "bigint": "INTEGER", "double": "DECIMAL", "boolean": "BOOLEAN"}
NUMERIC = ("bigint", "double")


class DefinitionError(ValueError):
    pass


def views_used(sheets: tuple[Sheet, ...] = SHEETS) -> list[View]:
    """Each view a visual shows, once, sorted by name (the data set identifier declarations' order)."""
    names = sorted({visual.view for sheet in sheets for visual in sheet.visuals})
    missing = [n for n in names if n not in BY_NAME]
    if missing:
        raise DefinitionError(f"mlgov_analytics.dashboard.SHEETS: views {missing} are not in mlgov_analytics.views.VIEWS")
    return [BY_NAME[n] for n in names]


def _column(view: View, name: str, where: str) -> dict[str, str]:
    if name not in view.column_names():
        raise DefinitionError(f"{where}: column {name!r} is not a column of view {view.name!r} {list(view.column_names())}")
    return {"data_set_identifier": view.name, "column_name": name}


def _type(view: View, name: str) -> str:
    return next(c.type for c in view.columns if c.name == name)


def _dimension(view: View, name: str, field_id: str, where: str) -> dict[str, Any]:
    column = _column(view, name, where)
    kind = "numerical_dimension_field" if _type(view, name) in NUMERIC else "categorical_dimension_field"
    return {kind: [{"field_id": field_id, "column": [column]}]}


def _measure(view: View, name: str, field_id: str, where: str) -> dict[str, Any]:
    column = _column(view, name, where)
    if _type(view, name) not in NUMERIC:
        raise DefinitionError(f"{where}: measure {name!r} of view {view.name!r} is {_type(view, name)}, not a number")
    return {"numerical_measure_field": [{"field_id": field_id, "column": [column],
                                         "aggregation_function": [{"simple_numerical_aggregation": "SUM"}]}]}


def _title(text: str) -> list[dict[str, Any]]:
    return [{"visibility": "VISIBLE", "format_text": [{"plain_text": text}]}]


def visual(v: Visual) -> dict[str, Any]:
    view, where = BY_NAME[v.view], f"visual {v.id!r}"
    base = {"visual_id": v.id, "title": _title(v.title)}
    if v.kind == "table":
        values = [{"field_id": f"{v.id}.{c}", "column": [_column(view, c, where)]} for c in view.column_names()]
        wells = {"table_unaggregated_field_wells": [{"values": values}]}
        return {"table_visual": [{**base, "chart_configuration": [{"field_wells": [wells]}]}]}
    if v.kind == "kpi":
        wells = {"values": [_measure(view, v.y, f"{v.id}.{v.y}", where)]}
        return {"kpi_visual": [{**base, "chart_configuration": [{"field_wells": [wells]}]}]}
    if v.kind in ("bar", "line"):
        wells = {"category": [_dimension(view, v.x, f"{v.id}.{v.x}", where)],
                 "values": [_measure(view, v.y, f"{v.id}.{v.y}", where)]}
        if v.color:
            wells["colors"] = [_dimension(view, v.color, f"{v.id}.{v.color}", where)]
        block = f"{v.kind}_chart_visual"
        return {block: [{**base, "chart_configuration": [{"field_wells": [{f"{v.kind}_chart_aggregated_field_wells": [wells]}]}]}]}
    raise DefinitionError(f"{where}: kind {v.kind!r} is not one of kpi, bar, line, table")


def filter_id(sheet: Sheet, column: str) -> str:
    return f"{sheet.id}-filter-{column}"


def _filtered_visuals(sheet: Sheet, column: str) -> list[Visual]:
    visuals = sorted((v for v in sheet.visuals if column in BY_NAME[v.view].column_names()), key=lambda v: v.id)
    if not visuals:
        raise DefinitionError(f"sheet {sheet.id!r}: filter column {column!r} is in none of its visuals' views")
    return visuals


def filter_group(sheet: Sheet, column: str) -> dict[str, Any]:
    visuals = _filtered_visuals(sheet, column)
    view = BY_NAME[visuals[0].view]
    target = {"filter_id": filter_id(sheet, column), "column": [_column(view, column, f"sheet {sheet.id!r}")]}
    if _type(view, column) in NUMERIC:
        condition = {"numeric_equality_filter": [{**target, "match_operator": "EQUALS", "null_option": "ALL_VALUES",
                                                  "select_all_options": "FILTER_ALL_VALUES"}]}
    else:
        condition = {"category_filter": [{**target, "configuration": [{"filter_list_configuration": [
            {"match_operator": "CONTAINS", "select_all_options": "FILTER_ALL_VALUES"}]}]}]}
    return {
        "filter_group_id": f"{filter_id(sheet, column)}-group",
        "cross_dataset": "ALL_DATASETS",
        "status": "ENABLED",
        "filters": [condition],
        "scope_configuration": [{"selected_sheets": [{"sheet_visual_scoping_configurations": [
            {"sheet_id": sheet.id, "scope": "SELECTED_VISUALS", "visual_ids": [v.id for v in visuals]}]}]}],
    }


def filter_control(sheet: Sheet, column: str) -> dict[str, Any]:
    view = BY_NAME[_filtered_visuals(sheet, column)[0].view]
    control = {"filter_control_id": f"{filter_id(sheet, column)}-control", "source_filter_id": filter_id(sheet, column),
               "title": column.replace("_", " ").capitalize()}
    if _type(view, column) in NUMERIC:
        return {"text_field": [control]}
    return {"dropdown": [{**control, "type": "MULTI_SELECT"}]}


def sheet(s: Sheet) -> dict[str, Any]:
    out: dict[str, Any] = {"sheet_id": s.id, "name": s.title, "title": s.title, "visuals": [visual(v) for v in s.visuals]}
    if s.filters:
        out["filter_controls"] = [filter_control(s, c) for c in sorted(s.filters)]
    return out


def definition(data_set_arns: dict[str, str], sheets: tuple[Sheet, ...] = SHEETS) -> dict[str, Any]:
    """The dashboard definition; data_set_arns maps each view name to its data set's ARN."""
    views = views_used(sheets)
    missing = [v.name for v in views if v.name not in data_set_arns]
    if missing:
        raise DefinitionError(f"no data set ARN for views {missing}")
    ids = [s.id for s in sheets] + [v.id for s in sheets for v in s.visuals]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise DefinitionError(f"mlgov_analytics.dashboard.SHEETS: ids {duplicates} are used more than once")
    groups = sorted((filter_group(s, c) for s in sheets for c in s.filters), key=lambda g: g["filter_group_id"])
    return {
        "data_set_identifiers_declarations": [{"identifier": v.name, "data_set_arn": data_set_arns[v.name]} for v in views],
        "sheets": [sheet(s) for s in sheets],  # in reading order: the order of the dashboard's tabs
        "filter_groups": groups,
    }


def input_columns(view: View) -> list[dict[str, str]]:
    unknown = sorted({c.type for c in view.columns} - set(INPUT_COLUMN_TYPES))
    if unknown:
        raise DefinitionError(f"view {view.name!r}: column types {unknown} have no QuickSight input type")
    return [{"name": c.name, "type": INPUT_COLUMN_TYPES[c.type]} for c in view.columns]
