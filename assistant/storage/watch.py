"""Noticing, while a loaded build serves, that its files or CURRENT were damaged on disk.

A server answers from memory, so damage on disk does not show until the next load, and a
repair should start as soon as it happens. Hashing the whole build every few seconds would cost
seconds of I/O each time, so `BuildWatch` stats the files and hashes only one that changed.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from .layout import CURRENT, VECTOR_FILES, FileStat, file_sha256, file_stat, load_manifest, read_pointer
from .load import IndexData


@dataclass(frozen=True)
class Damage:
    """Damage to a loaded build found while it serves, and whether a repair can trust what is left of it."""

    build: str  # the loaded build's folder name
    reason: str  # human-readable, e.g. "vectors.npy of build-… no longer matches its checksum"
    files: tuple[str, ...]  # the damaged files, relative to the build ("CURRENT" for the pointer)
    reusable: bool  # the build's vector files still pass their checksums: a repair (build_index) embeds nothing


class BuildWatch:
    """Notices, while a loaded build serves, that its files or CURRENT were damaged; poll `check` every few seconds.

    A call stats each file of the build and reads CURRENT (well under a millisecond); a file is
    hashed only when its stat (inode, size, mtime, ctime) differs from the one recorded when it was
    verified at load. A touched file whose content still passes its checksum is trusted again with
    its new stat; a damaged one is not hashed again until it changes once more. Files are trusted as
    they were at load (`load_index` verifies them unless told not to). CURRENT naming another
    existing build is no damage: a newer build went live. Safe to call from several threads
    (calls run one at a time).
    """

    def __init__(self, index: IndexData) -> None:
        self.build = index.path
        self.index_dir = index.path.parent
        self._checksums: dict[str, str] = dict(index.manifest.get("checksums") or {})
        self._manifest = index.manifest if index.damage is None else None  # None: served from its sidecar
        self._known = index.damage
        names = [*self._checksums, *(["manifest.json"] if self._manifest is not None else [])]
        self._stats: dict[str, FileStat | None] = {
            rel: index.file_stats[rel] if rel in index.file_stats else file_stat(self.build / rel) for rel in names}
        self._bad: dict[str, tuple[FileStat | None, str]] = {}  # file -> (its stat when found damaged, why)
        self._lock = threading.Lock()

    def check(self) -> Damage | None:
        """The damage to the loaded build and CURRENT now, or None when they are as loaded."""
        with self._lock:
            found: list[tuple[str, str]] = [("manifest.json", self._known)] if self._known else []
            if not self.build.is_dir():
                found.append((".", f"build {self.build.name} was removed"))
            else:
                for rel, seen in self._stats.items():
                    now = file_stat(self.build / rel)
                    if now == seen:
                        continue
                    bad = self._bad.get(rel)
                    if bad is not None and bad[0] == now:
                        found.append((rel, bad[1]))
                        continue
                    problem = self._verify(rel, now, seen)
                    if problem is None:
                        self._stats[rel] = now
                        self._bad.pop(rel, None)
                    else:
                        self._bad[rel] = (now, problem)
                        found.append((rel, problem))
            _, pointer = read_pointer(self.index_dir)
            if pointer is not None:
                found.append((CURRENT, pointer))
        if not found:
            return None
        files = tuple(rel for rel, _ in found)
        lost = "." in files or any(rel.rpartition("/")[2] in pair for rel in files for pair in VECTOR_FILES)
        return Damage(build=self.build.name, reason="; ".join(why for _, why in found), files=files,
                      reusable=not lost)

    def _verify(self, rel: str, now: FileStat | None, seen: FileStat | None) -> str | None:
        path, name = self.build / rel, self.build.name
        if now is None:
            return f"{rel} of {name} was removed"
        if rel == "manifest.json":
            manifest, problem = load_manifest(self.build)
            if manifest is None:
                return problem
            return None if manifest == self._manifest else f"manifest.json of {name} was changed"
        try:
            digest = file_sha256(path)
        except OSError as exc:
            return f"{rel} of {name} cannot be read ({exc.strerror or exc})"
        if digest == self._checksums[rel]:
            return None
        if seen is not None and now[1] < seen[1]:
            return f"{rel} of {name} was truncated ({seen[1]} → {now[1]} bytes) and fails its checksum"
        return f"{rel} of {name} no longer matches its checksum"
