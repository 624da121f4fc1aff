"""moto's event templating drops "account" from delivered events and 500s on unquoted string placeholders (AWS quotes them)."""

from __future__ import annotations

import re
from typing import Any


def _quote_bare_placeholders(template: str, paths: dict[str, str], event: Any) -> str:
    """Wrap <name> placeholders outside JSON strings in quotes when they resolve to a string."""
    from jsonpath_ng.ext import parse

    strings = {k for k, p in paths.items() if (m := parse(p).find(event)) and isinstance(m[0].value, str)}
    out, in_string, i = [], False, 0
    while i < len(template):
        ch = template[i]
        match = None if in_string else re.match(r"<([^<>\s]+)>", template[i:])
        if match and match.group(1) in strings:
            out.append(f'"{match.group(0)}"')
            i += len(match.group(0))
            continue
        if ch == '"' and (i == 0 or template[i - 1] != "\\"):
            in_string = not in_string
        out.append(ch)
        i += 1
    return "".join(out)


def apply() -> None:
    from moto.events.utils import EventTemplateParser

    if '"account"' not in EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE:
        EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE.replace(
            '"version": "0",', '"version": "0", "account": "<account>",'
        )

    if getattr(EventTemplateParser.parse, "_mlgov", False):
        return
    orig = EventTemplateParser.parse

    def parse(input_template: str, input_paths_map: dict[str, Any], event: Any) -> Any:
        if input_template and input_paths_map and input_template.strip()[:1] in "{[":
            input_template = _quote_bare_placeholders(input_template, input_paths_map, event)
        return orig(input_template, input_paths_map, event)

    parse._mlgov = True  # type: ignore[attr-defined]
    EventTemplateParser.parse = staticmethod(parse)  # type: ignore[method-assign]
