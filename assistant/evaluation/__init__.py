"""Retrieval evaluation: BEIR folders and question files, scored with ranx, reported."""

from assistant.evaluation.datasets import Dataset, DatasetError, Question, load_dataset
from assistant.evaluation.runner import Evaluation, RetrieverResult, evaluate, query_for

__all__ = [
    "Dataset",
    "DatasetError",
    "Evaluation",
    "Question",
    "RetrieverResult",
    "evaluate",
    "load_dataset",
    "query_for",
]
