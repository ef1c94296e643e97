"""An evaluation written out for people: a Markdown report, a PNG chart and the raw JSON."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.evaluation.metrics import METRICS
from assistant.evaluation.runner import Evaluation, RetrieverResult

REPORT = "report.md"
CHART = "metrics.png"
RESULTS = "results.json"


def write_report(evaluation: Evaluation, directory: Path) -> list[Path]:
    """Write the report, chart and JSON into ``directory``; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    results = [result.to_json() for result in evaluation.results]
    (directory / RESULTS).write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    write_chart(evaluation.results, directory / CHART)
    (directory / REPORT).write_text(markdown(evaluation))
    return [directory / REPORT, directory / CHART, directory / RESULTS]


def markdown(evaluation: Evaluation) -> str:
    dataset = evaluation.dataset
    results = evaluation.results
    lines = [
        f"# Retrieval evaluation: {dataset.name}",
        "",
        f"{len(dataset.questions)} questions from `{dataset.path}`, "
        f"index `{evaluation.index_dir}`. Rankings are of documents (a document counts once, "
        "at its best passage); questions without relevant documents are listed but not scored.",
        "",
        *metrics_table(results),
        "",
        f"![metrics]({CHART})",
        "",
        *_timing(evaluation),
        "",
        "## Per question",
        "",
        "Rank of the first relevant document in each retriever's ranking (— when not retrieved), "
        "and nDCG@10. Questions that no retriever finds in its top 10 come first.",
        "",
        *per_question_table(results),
        "",
    ]
    return "\n".join(lines)


def metrics_table(results: tuple[RetrieverResult, ...]) -> list[str]:
    best = {name: max(r.metrics[name] for r in results) for name in METRICS}
    rows = [
        "| retriever | " + " | ".join(METRICS) + " |",
        "| --- |" + " ---: |" * len(METRICS),
    ]
    for result in results:
        cells = [
            f"**{result.metrics[n]:.4f}**"
            if len(results) > 1 and result.metrics[n] == best[n]
            else f"{result.metrics[n]:.4f}"
            for n in METRICS
        ]
        rows.append(f"| {result.retriever} | " + " | ".join(cells) + " |")
    return rows


def per_question_table(results: tuple[RetrieverResult, ...]) -> list[str]:
    header = " | ".join(f"{r.retriever} rank | {r.retriever} nDCG@10" for r in results)
    rows = [
        f"| id | question | query used | relevant | {header} |",
        "| --- | --- | --- | --- |" + " ---: | ---: |" * len(results),
    ]
    first = results[0].per_question
    ranks = [
        [_first_relevant(r.per_question[i].retrieved, r.per_question[i].relevant) for r in results]
        for i in range(len(first))
    ]

    def missed_by_all(i: int) -> bool:
        return bool(first[i].relevant) and all(rank is None or rank > 10 for rank in ranks[i])

    for i in sorted(range(len(first)), key=lambda i: not missed_by_all(i)):
        question = first[i]
        cells = []
        for result, rank in zip(results, ranks[i], strict=True):
            ndcg = result.question_metrics.get(question.id, {}).get("ndcg@10")
            cells += [str(rank) if rank else "—", f"{ndcg:.2f}" if ndcg is not None else "n/a"]
        query = question.query_used if question.query_used != question.question else ""
        rows.append(
            f"| {question.id} | {cell(question.question)} | {cell(query)} | "
            f"{cell(', '.join(question.relevant) or '(none)')} | " + " | ".join(cells) + " |"
        )
    return rows


def write_chart(results: tuple[RetrieverResult, ...], path: Path) -> None:
    """A grouped bar chart: one group per metric, one bar per retriever."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(9, 4.5), dpi=100)
    width = 0.8 / len(results)
    for n, result in enumerate(results):
        positions = [i + (n - (len(results) - 1) / 2) * width for i in range(len(METRICS))]
        bars = axes.bar(
            positions, [result.metrics[m] for m in METRICS], width, label=result.retriever
        )
        axes.bar_label(bars, fmt="%.2f", fontsize=7, padding=2)
    axes.set_xticks(range(len(METRICS)), METRICS)
    axes.set_ylim(0, 1.2)
    axes.set_ylabel("score")
    scored = len(results[0].question_metrics)
    axes.set_title(f"{results[0].dataset}: {scored} questions scored")
    axes.legend(loc="upper center", ncol=len(results), frameon=False)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def _timing(evaluation: Evaluation) -> list[str]:
    report = evaluation.ingest
    built = (
        f"; {report.embedded} passages embedded, {len(report.unchanged)} documents reused"
        if report
        else ""
    )
    lines = [f"Index ready in {evaluation.index_seconds:.1f} s{built}."]
    lines += [
        f"{r.retriever}: {r.n_questions} questions in {r.seconds:.1f} s."
        for r in evaluation.results
    ]
    return lines


def _first_relevant(retrieved: tuple[str, ...], relevant: tuple[str, ...]) -> int | None:
    wanted = set(relevant)
    return next((rank for rank, doc in enumerate(retrieved, start=1) if doc in wanted), None)


def cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
