"""Promotion gates: metric thresholds from a use case's config, e.g. ``auc >= 0.75``.

A gate passes only on a recorded value: a missing metric fails the gate, it is never assumed.
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass

OPERATORS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq}
GATE = re.compile(r"^\s*([a-z0-9_]{1,64})\s*(>=|<=|==|>|<)\s*(-?[0-9]+(?:\.[0-9]+)?)\s*$")


class GateSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class Gate:
    metric: str
    op: str
    threshold: float

    @classmethod
    def parse(cls, text: str) -> "Gate":
        match = GATE.match(text)
        if not match:
            raise GateSyntaxError(f"{text!r} is not a gate; write '<metric> <op> <number>' with op one of {sorted(OPERATORS)}")
        return cls(match.group(1), match.group(2), float(match.group(3)))

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.threshold:g}"


@dataclass(frozen=True)
class GateResult:
    gate: Gate
    value: float | None
    passed: bool
    reason: str


def evaluate(gate: Gate, metrics: dict[str, float]) -> GateResult:
    value = metrics.get(gate.metric)
    if value is None:
        return GateResult(gate, None, False, f"{gate}: no recorded value for {gate.metric}")
    value = float(value)
    if math.isnan(value):
        return GateResult(gate, value, False, f"{gate}: {gate.metric} is NaN")
    passed = OPERATORS[gate.op](value, gate.threshold)
    return GateResult(gate, value, passed, f"{gate}: {gate.metric} = {value:g} ({'pass' if passed else 'fail'})")


def evaluate_all(gates: list[str] | tuple[str, ...], metrics: dict[str, float]) -> list[GateResult]:
    return [evaluate(Gate.parse(g), metrics) for g in gates]


def all_pass(results: list[GateResult]) -> bool:
    return all(r.passed for r in results)
