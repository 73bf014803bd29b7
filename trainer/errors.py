"""One error type for bad input files: it names the file, the place and what was expected."""

from __future__ import annotations


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


def read_text_file(path, what: str) -> str:
    """The text of ``path``; a missing, unreadable or binary file is an InputFileError naming ``what``."""
    from pathlib import Path

    try:
        return Path(path).read_text()
    except OSError as exc:
        raise InputFileError(path, "open", f"a readable {what}", exc.strerror) from None
    except UnicodeDecodeError:
        raise InputFileError(path, "open", f"a text {what}", "binary data") from None
