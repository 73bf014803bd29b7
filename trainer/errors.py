"""One error type for bad input files: it names the file, the place and what was expected."""

from __future__ import annotations

import re


class InputFileError(ValueError):
    """A file could not be read; the message says where and what was expected."""

    def __init__(self, path, where: str, expected: str, found: str | None = None):
        self.path = str(path)
        self.where = where
        self.expected = expected
        self.found = found
        message = f"{self.path}: {where}: expected {expected}"
        if found is not None:
            message += f", found {found}"
        super().__init__(message)


def read_file_bytes(path, what: str) -> bytes:
    """The bytes of ``path``; a missing or unreadable file is an InputFileError naming ``what``."""
    from pathlib import Path

    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InputFileError(path, "open", f"a readable {what}", exc.strerror) from None


def read_text_file(path, what: str) -> str:
    """The text of ``path``; a missing, unreadable or binary file is an InputFileError naming ``what``."""
    return decode_text(path, read_file_bytes(path, what), what)


def decode_text(path, data: bytes, what: str) -> str:
    """UTF-8 text with universal newlines (as ``Path.read_text``); binary data or control
    characters are an InputFileError naming ``what``."""
    try:
        text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError:
        raise InputFileError(path, "open", f"a text {what}", "binary data") from None
    control = _CONTROL.search(text)
    if control:  # the C++ reader refuses these too (core/src/nnascii.cpp): never read them as whitespace
        line = text.count("\n", 0, control.start()) + 1
        raise InputFileError(path, f"line {line}", f"a text {what}", f"binary data (control character {ord(control.group()):#04x})")
    return text


def text_lines(text: str) -> list[str]:
    """Lines split at '\\n' only, as C++ getline does (str.splitlines also splits at \\x85, \\u2028, ...)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
