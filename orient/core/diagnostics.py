"""One Diagnostic type for every problem found in the rules, from YAML syntax to graph checks.

Messages are in French because rule authors are clinicians; codes are stable so that tests,
editors and documentation can refer to them.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["erreur", "avertissement"]


@dataclass(frozen=True)
class Diagnostic:
    file: str
    line: int
    column: int
    severity: Severity
    code: str
    message: str
    suggestion: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "erreur"

    def format(self) -> str:
        text = f"{self.file}:{self.line}:{self.column} {self.severity} {self.code} {self.message}"
        if self.suggestion:
            text += f" (vouliez-vous dire « {self.suggestion} » ?)"
        return text

    def sort_key(self) -> tuple:
        return (self.file, self.line, self.column, self.code)


def suggest(word: str, choices: Iterable[str]) -> str | None:
    """The closest known id to a misspelt one, if any is close enough to help."""
    matches = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def sorted_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    unique = {(d.file, d.line, d.column, d.code, d.message): d for d in diagnostics}
    return sorted(unique.values(), key=Diagnostic.sort_key)


class RuleSetError(Exception):
    """Raised when rules cannot be served: carries every diagnostic, errors first."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        errors = [d for d in diagnostics if d.is_error]
        super().__init__(f"{len(errors)} erreur(s) dans les règles")

    def report(self) -> str:
        return "\n".join(d.format() for d in self.diagnostics)
