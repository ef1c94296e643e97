"""The baseline: a plain LangChain + FAISS ingestion of the same files with the same model.

    python -m bench.langchain_baseline [--parts IV-C-5] [--runs 3]

TextLoader, RecursiveCharacterTextSplitter (800 characters, about 200 tokens,
overlap 128), HuggingFaceEmbeddings on the packaged all-MiniLM-L6-v2 (torch, its
default) and FAISS.from_documents: the pipeline a LangChain tutorial builds. Timed
from reading the files to a searchable FAISS store, model load excluded (as in
bench.ingest_throughput). Needs the bench extra (langchain-community, langchain-text-splitters).
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

from bench.child import DEFAULT_PARTS, part_files, run_child
from bench.common import Timer, median, write_result

CHUNK_CHARACTERS = 800
OVERLAP_CHARACTERS = 128


def run_once(files: list[Path]) -> dict[str, float]:
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    from langchain_community.document_loaders import TextLoader
    from langchain_community.embeddings import HuggingFaceEmbeddings
    from langchain_community.vectorstores import FAISS
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from embeddings.encoder import DEFAULT_MODEL, resolve_model

    embeddings = HuggingFaceEmbeddings(
        model_name=resolve_model(DEFAULT_MODEL), encode_kwargs={"normalize_embeddings": True}
    )
    embeddings.embed_documents(["warm-up"])
    with Timer() as timer:
        documents = [doc for path in files for doc in TextLoader(str(path)).load()]
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=CHUNK_CHARACTERS, chunk_overlap=OVERLAP_CHARACTERS
        )
        chunks = splitter.split_documents(documents)
        store = FAISS.from_documents(chunks, embeddings)
    store.similarity_search("Westmoreland battalions", k=3)
    return {"passages": len(chunks), "seconds": timer.seconds, "cpu_seconds": timer.cpu_seconds}


def run_in_child(parts: list[str]) -> dict[str, float]:
    return run_child("bench.langchain_baseline", "--once", "--parts", *parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parts", nargs="+", default=DEFAULT_PARTS)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--once", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.once:
        print(json.dumps(run_once(part_files(args.parts))))
        return
    runs = [run_in_child(args.parts) for _ in range(args.runs)]
    seconds = median([r["seconds"] for r in runs])
    write_result(
        "langchain_baseline",
        {
            "parts": args.parts,
            "passages": runs[0]["passages"],
            "runs": runs,
            "median_seconds": seconds,
            "passages_per_second": round(runs[0]["passages"] / seconds, 2),
        },
    )


if __name__ == "__main__":
    main()
