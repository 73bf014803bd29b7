"""Fortran list-directed record reading for ``.nn.ascii`` (AENET_FORMAT.md §2).

Token-based within a record, line-based between records: a list record consumes lines
until it holds the tokens it needs; leftovers on its last line are ignored.
"""

from __future__ import annotations

import math
import re

import numpy as np

from .errors import InputFileError, text_lines


_REAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eEdD][+-]?\d+)?")
REAL_SYNTAX = _REAL.pattern  # one Fortran real, for readers that match many at once (xsf)
_ASCII_SPACE = re.compile(r"[ \t\r\n\v\f]+")


def parse_real(token: str) -> float:
    """A Fortran real (1.5, -2., .5, 1e-3, 1.0D+02), as the C++ reader accepts: no hex, no
    underscores, no inf/nan words (Python's float() takes all of these)."""
    if not _REAL.fullmatch(token):
        raise ValueError(token)
    return float(token.replace("D", "E").replace("d", "e"))


_INTEGER = re.compile(r"[+-]?[0-9]+")


def split_ascii(line: str) -> list[str]:
    """Tokens separated by ASCII blanks only, as C++ streams split (str.split() also splits at
    U+00A0 and other Unicode spaces)."""
    return [t for t in _ASCII_SPACE.split(line) if t]


def parse_logical(token: str) -> bool:
    stripped = token.lstrip(".")
    if stripped[:1] in ("T", "t"):
        return True
    if stripped[:1] in ("F", "f"):
        return False
    raise ValueError(token)


class RecordReader:
    """Reads records in order and names the record in every error."""

    def __init__(self, path, text: str, unit: str = "line"):
        self.path = str(path)
        self.lines = text_lines(text)
        self.pos = 0  # index of the next unread line
        self.unit = unit  # "Fortran record" for a binary .nn file read as text (trainer/nnbinary.py)

    def _where(self, record: str, line: int | None = None) -> str:
        line = self.pos + 1 if line is None else line
        return f"record {record} ({self.unit} {line})"

    def text(self, record: str) -> str:
        if self.pos >= len(self.lines):
            raise InputFileError(self.path, self._where(record), f"a text record '{record}'", "end of file (truncated)")
        value = self.lines[self.pos].strip()
        self.pos += 1
        return value

    def tokens(self, record: str, count: int, what: str) -> list[tuple[str, int]]:
        out: list[tuple[str, int]] = []
        start = self.pos + 1
        while len(out) < count:
            if self.pos >= len(self.lines):
                raise InputFileError(
                    self.path,
                    self._where(record, start),
                    f"{count} {what}",
                    f"{len(out)} before end of file (truncated)",
                )
            lineno = self.pos + 1
            out.extend((tok, lineno) for tok in split_ascii(self.lines[self.pos]))
            self.pos += 1
        return out[:count]

    def ints(self, record: str, count: int) -> np.ndarray:
        values = []
        for tok, line in self.tokens(record, count, "integers"):
            if not _is_int(tok):
                raise InputFileError(self.path, self._where(record, line), "an integer", repr(tok))
            values.append(int(tok))
        return np.array(values, dtype=np.int64)

    def int(self, record: str) -> int:
        return int(self.ints(record, 1)[0])

    def reals(self, record: str, count: int) -> np.ndarray:
        values = []
        for tok, line in self.tokens(record, count, "real numbers"):
            try:
                value = parse_real(tok)
            except ValueError:
                raise InputFileError(self.path, self._where(record, line), "a real number", repr(tok)) from None
            if not math.isfinite(value):
                raise InputFileError(self.path, self._where(record, line), "a finite real number", repr(tok))
            values.append(value)
        return np.array(values, dtype=np.float64)

    def real(self, record: str) -> float:
        return float(self.reals(record, 1)[0])

    def names(self, record: str, count: int) -> list[str]:
        return [tok for tok, _ in self.tokens(record, count, "names")]

    def logical(self, record: str) -> bool:
        ((tok, line),) = self.tokens(record, 1, "logical")
        try:
            return parse_logical(tok)
        except ValueError:
            raise InputFileError(self.path, self._where(record, line), "a logical (T/F/True/False)", repr(tok)) from None

    def integer_lines(self, record: str) -> list[list[int]]:
        """Consume consecutive lines made only of integer tokens (for the sfenv ambiguity; an
        integer token is a sign and digits, whatever its size, as in the C++ reader), then
        refuse any value beyond a 4-byte Fortran integer, naming its line."""
        out = []
        while self.pos < len(self.lines):
            toks = split_ascii(self.lines[self.pos])
            if not toks or not all(_INTEGER.fullmatch(t) for t in toks):
                break
            for t in toks:
                if not _is_int(t):
                    raise InputFileError(self.path, self._where(record, self.pos + 1), "an integer", repr(t))
            out.append([int(t) for t in toks])
            self.pos += 1
        return out

    def fail(self, record: str, expected: str, found: str | None = None, line: int | None = None):
        raise InputFileError(self.path, self._where(record, line), expected, found)


def _is_int(token: str) -> bool:
    """A Fortran default integer (4 bytes), as the C++ reader takes it: optional sign, digits,
    |value| <= 2147483647 (Python's int() would also take '1_0' and any size)."""
    return _INTEGER.fullmatch(token) is not None and abs(int(token)) <= 2147483647


def format_int(value: int) -> str:
    return f"{int(value):17d}"


def format_real(value: float) -> str:
    """Shortest repr that reads back bit-exactly."""
    text = repr(float(value))
    return f"{text:>24s}"


def line_of_ints(values) -> str:
    return "".join(format_int(v) for v in values)


def line_of_reals(values) -> str:
    return "".join(format_real(v) for v in values)
