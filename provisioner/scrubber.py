"""Finding known strings (every form of every secret) in text, in memory that grows with the strings.

Two indexes, by the shape of a string:
- A string of eight or more "word" characters (letters, digits, `-_.~%+/\\`: every form of a token
  GitLab issues, raw, URL-encoded or base64) is filed under its first eight characters. Text is cut
  into runs of word characters (one C-level regex pass) and each run is looked up eight characters
  at a time. A run creating a runner and a deploy token for each of 10,000 projects learns 80,000
  such forms: held this way they take a few dozen bytes each beyond the strings themselves, where the
  compiled alternation of all of them peaked at 458 MB while compiling (`re` builds a parse tree of
  small objects for every character) and held 70.
- The rest (short or with other characters: JSON escapes of a password with quotes, accents, spaces)
  are few, from the inventory's own secrets: they are matched by tries compiled into regexes, kept in
  levels of doubling size so that learning N of them compiles O(N log N) characters.
Every index is searched in the original text and the spans found are merged, so a secret that
contains another (of either kind) is hidden whole.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from typing import Any

ANCHOR = 8  # characters a word-shaped string is filed under: as long as the shortest such form
_WORD_CHARS = r"A-Za-z0-9_.~%+/\\-"
_WORD_SHAPED = re.compile(rf"[{_WORD_CHARS}]{{{ANCHOR},}}")
_PENDING_MAX = 32  # strings of the other kind matched one by one before they are compiled

Span = tuple[int, int]


class Scrubber:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # first ANCHOR characters -> the word-shaped string, or all of them sharing it, longest first
        self._anchored: dict[str, str | tuple[str, ...]] = {}
        self._other: set[str] = set()
        self._pending: list[str] = []  # the newest of the other kind, not compiled yet
        self._levels: list[tuple[list[str], re.Pattern[str]]] = []  # oldest and largest first

    def __bool__(self) -> bool:
        return bool(self._anchored or self._other)

    def add(self, strings: Iterable[str]) -> None:
        with self._lock:
            for string in strings:
                if _WORD_SHAPED.fullmatch(string):
                    self._file(string)
                elif string not in self._other:
                    self._other.add(string)
                    self._pending.append(string)
                    if len(self._pending) >= _PENDING_MAX:
                        self._compile_pending()

    def _file(self, string: str) -> None:
        key = string[:ANCHOR]
        filed = self._anchored.get(key)
        if filed is None:
            self._anchored[key] = string
        elif isinstance(filed, str):
            if filed != string:
                self._anchored[key] = _longest_first((filed, string))
        elif string not in filed:
            self._anchored[key] = _longest_first((*filed, string))

    def _compile_pending(self) -> None:
        merged = list(self._pending)
        self._pending.clear()
        while self._levels and len(self._levels[-1][0]) <= len(merged):
            merged += self._levels.pop()[0]
        self._levels.append((merged, re.compile(trie(merged))))

    def spans(self, text: str) -> list[Span]:
        """Where known strings are in `text`: sorted, overlapping spans merged."""
        with self._lock:
            pending = list(self._pending)
            patterns = [pattern for _, pattern in self._levels]
        found = list(self._anchored_spans(text)) if self._anchored else []
        for pattern in patterns:
            found += [match.span() for match in pattern.finditer(text)]
        for string in pending:
            start = text.find(string)
            while start != -1:
                found.append((start, start + len(string)))
                start = text.find(string, start + len(string))
        return _merged(found)

    def _anchored_spans(self, text: str) -> Iterator[Span]:
        anchored = self._anchored  # read without the lock: a dict lookup is atomic
        for run in _WORD_SHAPED.finditer(text):
            word, base = run.group(), run.start()
            at, last = 0, len(word) - ANCHOR
            while at <= last:
                filed = anchored.get(word[at : at + ANCHOR])
                length = 0 if filed is None else _match_at(word, at, filed)
                if length:
                    yield base + at, base + at + length
                    at += length
                else:
                    at += 1

    def scrub(self, text: str, replacement: str) -> str:
        if not self:
            return text
        spans = self.spans(text)
        if not spans:
            return text
        out, kept = [], 0
        for start, end in spans:
            out += [text[kept:start], replacement]
            kept = end
        out.append(text[kept:])
        return "".join(out)


def _match_at(word: str, at: int, filed: str | tuple[str, ...]) -> int:
    for string in (filed,) if isinstance(filed, str) else filed:
        if word.startswith(string, at):
            return len(string)
    return 0


def _longest_first(strings: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(strings, key=len, reverse=True))


def _merged(spans: list[Span]) -> list[Span]:
    spans.sort()
    out: list[Span] = []
    for start, end in spans:
        if out and start < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def trie(words: list[str]) -> str:
    """One regex matching any of `words`, longest first, shaped as a trie (`glrt-(?:ab|cd)`): an
    alternation of literals without a common prefix is tried one by one at every position of the text."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # a word ends here
    return _emit(root)


def _emit(node: dict[str, Any]) -> str:
    # Iterative over single-child chains (secret files can be long); recursion only where it branches.
    branches = []
    for char in sorted(k for k in node if k):
        literal, child = char, node[char]
        while len(child) == 1 and "" not in child:
            ((char, child),) = child.items()
            literal += char
        rest = _emit(child) if set(child) != {""} else ""
        branches.append(re.escape(literal) + rest)
    if not branches:
        return ""
    group = branches[0] if len(branches) == 1 and "" not in node else f"(?:{'|'.join(branches)})"
    return f"{group}?" if "" in node else group
