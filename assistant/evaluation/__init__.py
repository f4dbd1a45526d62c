"""Measure retrieval and answers on question sets, on the shipped library and on a grown one.

``items`` reads question sets and splits them into a tune half and a check half by a fixed
rule; ``judge`` scores one question's hits and answer; ``scenario`` copies the library,
adds articles through the real import and rebuilds; ``report`` prints the figures side by
side.
"""

from .items import EvalItem, half_of, read_items
from .judge import evaluate, judge_answer, judge_retrieval
from .report import EvalReport
from .scenario import Scenario, evaluate_library, grow_library, run_scenarios

__all__ = ["EvalItem", "EvalReport", "Scenario", "evaluate", "evaluate_library", "grow_library",
           "half_of", "judge_answer", "judge_retrieval", "read_items", "run_scenarios"]
