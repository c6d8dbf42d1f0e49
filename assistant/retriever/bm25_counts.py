"""The BM25 index made from term counts kept per passage, so that a build counts only new passages' terms.

bm25s builds its score matrix from every passage's token list in Python loops: at 165,000 passages
that is 11 s, redone for every report added to an archive. A build keeps instead each passage's term
counts (a CSR matrix, a row per passage, written beside the index); a later build takes the rows of the
reports that did not change, counts the terms of the new ones, and computes the same BM25 scores as
bm25s (Lucene idf, Robertson term frequency) with numpy over the whole matrix in about a second. The
result is an ordinary `bm25s.BM25` object: searching and the on-disk format are bm25s's own.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

EMPTY = "<empty>"  # the one token of a passage without any (bm25s needs every document to have one)


@dataclass(frozen=True)
class TermCounts:
    """How often each term occurs in each passage: a CSR matrix (a row per passage) and its columns' terms."""

    terms: list[str]  # the term of each column
    indptr: np.ndarray  # int64, rows + 1
    columns: np.ndarray  # int32, the column of each stored count
    counts: np.ndarray  # int32, > 0

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    def rows(self, start: int, end: int) -> TermCounts:
        """Rows start..end (the passages of one report), sharing this matrix's columns."""
        a, b = int(self.indptr[start]), int(self.indptr[end])
        return TermCounts(self.terms, self.indptr[start:end + 1] - a, self.columns[a:b], self.counts[a:b])


def count_terms(tokens: Sequence[Sequence[str]]) -> TermCounts:
    """The term counts of passages given as token lists (an empty passage counts one EMPTY)."""
    vocab: dict[str, int] = {}
    ids: list[int] = []
    lengths = np.empty(len(tokens), dtype=np.int64)
    for i, toks in enumerate(tokens):
        toks = toks or (EMPTY,)
        lengths[i] = len(toks)
        ids.extend(vocab.setdefault(t, len(vocab)) for t in toks)
    flat = np.asarray(ids, dtype=np.int64)
    row = np.repeat(np.arange(len(tokens), dtype=np.int64), lengths)
    pairs, counts = np.unique(row * max(len(vocab), 1) + flat, return_counts=True)  # sorted by row, then term
    rows = pairs // max(len(vocab), 1)
    indptr = np.zeros(len(tokens) + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=len(tokens)), out=indptr[1:])
    return TermCounts(list(vocab), indptr, (pairs % max(len(vocab), 1)).astype(np.int32), counts.astype(np.int32))


def concat_counts(parts: Sequence[TermCounts]) -> TermCounts:
    """The parts' rows one after the other, over one set of columns: the terms some row holds, no other."""
    vocab: dict[str, int] = {}
    mapped: dict[int, np.ndarray] = {}  # id(terms) -> each column's new id (parts cut from one matrix share terms)
    columns: list[np.ndarray] = []
    for part in parts:
        key = id(part.terms)
        if key not in mapped:
            mapped[key] = np.fromiter((vocab.setdefault(t, len(vocab)) for t in part.terms), np.int64, len(part.terms))
        columns.append(mapped[key][part.columns] if len(part.columns) else np.empty(0, np.int64))
    flat = np.concatenate(columns) if columns else np.empty(0, np.int64)
    used = np.bincount(flat, minlength=len(vocab)) > 0  # terms of removed passages go
    new_id = np.cumsum(used) - 1
    terms = [t for t, keep in zip(vocab, used) if keep]
    indptr = np.zeros(sum(p.n_rows for p in parts) + 1, dtype=np.int64)
    at, offset = 0, 0
    for part in parts:
        indptr[at + 1:at + part.n_rows + 1] = part.indptr[1:] + offset
        at, offset = at + part.n_rows, offset + int(part.indptr[-1])
    counts = np.concatenate([p.counts for p in parts]) if parts else np.empty(0, np.int32)
    return TermCounts(terms, indptr, new_id[flat].astype(np.int32), counts.astype(np.int32))


def bm25_index(counts: TermCounts, k1: float = 1.2, b: float = 0.75):  # type: ignore[no-untyped-def]
    """A bm25s.BM25 (method "lucene") over these passages, the same scores as `bm25s.BM25.index` on their tokens."""
    import bm25s
    import scipy.sparse as sp

    bm25 = bm25s.BM25(k1=k1, b=b)
    n_docs, n_terms = counts.n_rows, len(counts.terms)
    tf = counts.counts.astype(np.float64)
    doc_len = np.add.reduceat(tf, counts.indptr[:-1]) if len(tf) else np.zeros(n_docs)
    doc_len[np.diff(counts.indptr) == 0] = 0.0  # reduceat gives an empty row its neighbour's value
    avg = float(doc_len.mean()) if n_docs else 1.0
    df = np.bincount(counts.columns, minlength=n_terms).astype(np.float64)
    idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)  # bm25s keeps idf in float32
    row_len = np.repeat(doc_len, np.diff(counts.indptr))
    tfc = tf / (k1 * ((1 - b) + b * row_len / avg) + tf)
    scores = (idf[counts.columns] * tfc).astype(np.float32)
    matrix = sp.csr_matrix((scores, counts.columns, counts.indptr), shape=(n_docs, n_terms)).tocsc()
    matrix.sort_indices()
    bm25.scores = {"data": matrix.data.astype(np.float32), "indices": matrix.indices.astype(np.int32),
                   "indptr": matrix.indptr, "num_docs": n_docs}
    vocab = {t: i for i, t in enumerate(counts.terms)}
    if "" not in vocab:  # as bm25s.BM25.index does (create_empty_token)
        vocab[""] = n_terms
    bm25.vocab_dict = vocab
    bm25.nonoccurrence_array = None  # "lucene" scores nothing for a term a passage lacks
    bm25.unique_token_ids_set = set(vocab.values())
    return bm25


def save_counts(counts: TermCounts, npz_path: Path, terms_path: Path) -> None:
    """Write the counts (arrays in an .npz, terms as JSON), for the next build to take rows from."""
    with open(npz_path, "wb") as f:
        np.savez(f, indptr=counts.indptr, columns=counts.columns, counts=counts.counts)
    with open(terms_path, "w", encoding="utf-8") as f:
        json.dump(counts.terms, f, ensure_ascii=False)


def load_counts(npz_path: Path, terms_path: Path) -> TermCounts:
    """Counts written by save_counts; ValueError when they do not fit together."""
    with np.load(npz_path, allow_pickle=False) as z:
        indptr, columns, counts = z["indptr"], z["columns"], z["counts"]
    with open(terms_path, encoding="utf-8") as f:
        terms = json.load(f)
    if not isinstance(terms, list) or indptr.ndim != 1 or len(indptr) < 1 or int(indptr[-1]) != len(columns) \
            or len(columns) != len(counts) or (len(columns) and int(columns.max()) >= len(terms)):
        raise ValueError("term counts and terms do not fit together")
    return TermCounts(terms, indptr.astype(np.int64), columns.astype(np.int32), counts.astype(np.int32))
