"""Files in, documents and passages out."""

from corpus.readers import ReaderError, iter_source_files, read_path

__all__ = ["ReaderError", "iter_source_files", "read_path"]
