"""How well the rules cover the ground: keys per filière, untested outcomes, reviews due.

``orient coverage`` prints this report (or its JSON form) and fails when a filière is
reached by no key or an outcome that refers a patient has no scenario: the two gaps that
make the knowledge base unsafe to extend without noticing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .ruleset import RuleSet

REVIEW_WINDOW_DAYS = 60


@dataclass(frozen=True)
class UntestedOutcome:
    key: str
    outcome: str
    action: str


@dataclass(frozen=True)
class ReviewDue:
    key: str
    review_due: dt.date
    days_left: int  # negative when overdue

    @property
    def overdue(self) -> bool:
        return self.days_left < 0


@dataclass(frozen=True)
class CoverageReport:
    today: dt.date
    version: str
    keys_by_filiere: dict[str, tuple[str, ...]]  # every filière, in file order -> key ids
    centres_by_filiere: dict[str, int]
    unreached_filieres: tuple[str, ...]
    outcomes_without_scenario: tuple[UntestedOutcome, ...]
    reviews_due: tuple[ReviewDue, ...]
    counts: dict[str, int] = field(default_factory=dict)
    filiere_names: dict[str, str] = field(default_factory=dict)
    window_days: int = REVIEW_WINDOW_DAYS

    @property
    def ok(self) -> bool:
        return not self.unreached_filieres and not self.outcomes_without_scenario

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "today": self.today.isoformat(),
            "review_window_days": self.window_days,
            "version": self.version,
            "counts": dict(self.counts),
            "keys_by_filiere": {f: list(keys) for f, keys in self.keys_by_filiere.items()},
            "centres_by_filiere": dict(self.centres_by_filiere),
            "unreached_filieres": list(self.unreached_filieres),
            "outcomes_without_scenario": [
                {"key": u.key, "outcome": u.outcome, "action": u.action} for u in self.outcomes_without_scenario
            ],
            "reviews_due": [
                {"key": r.key, "review_due": r.review_due.isoformat(), "days_left": r.days_left,
                 "overdue": r.overdue}
                for r in self.reviews_due
            ],
        }


def compute(ruleset: RuleSet, today: dt.date | None = None, window_days: int = REVIEW_WINDOW_DAYS) -> CoverageReport:
    today = today or dt.date.today()
    keys_by_filiere: dict[str, list[str]] = {f: [] for f in ruleset.filieres}
    untested: list[UntestedOutcome] = []
    due: list[ReviewDue] = []
    outcomes = referring = questions = 0
    for key in sorted(ruleset.keys.values(), key=lambda k: k.id):
        tested = {s.expect for s in ruleset.scenarios.get(key.id, ())}
        questions += len(key.questions)
        for fid in key.filieres:
            keys_by_filiere.setdefault(fid, []).append(key.id)
        for outcome in key.outcomes:
            outcomes += 1
            if outcome.action != "monitor":
                referring += 1
                if outcome.id not in tested:
                    untested.append(UntestedOutcome(key.id, outcome.id, outcome.action))
        days_left = (key.review_due - today).days
        if days_left <= window_days:
            due.append(ReviewDue(key.id, key.review_due, days_left))
    centres_by_filiere = {f: 0 for f in ruleset.filieres}
    for centre in ruleset.centres.values():
        centres_by_filiere[centre.filiere] = centres_by_filiere.get(centre.filiere, 0) + 1
    unreached = tuple(f for f, keys in keys_by_filiere.items() if not keys)
    counts = {
        "keys": len(ruleset.keys),
        "questions": questions,
        "outcomes": outcomes,
        "referring_outcomes": referring,
        "scenarios": sum(len(s) for s in ruleset.scenarios.values()),
        "filieres": len(ruleset.filieres),
        "filieres_reached": len(ruleset.filieres) - len([f for f in unreached if f in ruleset.filieres]),
        "centres": len(ruleset.centres),
        "pnds": len(ruleset.pnds),
    }
    return CoverageReport(
        today=today,
        version=ruleset.version,
        keys_by_filiere={f: tuple(keys) for f, keys in keys_by_filiere.items()},
        centres_by_filiere=centres_by_filiere,
        unreached_filieres=unreached,
        outcomes_without_scenario=tuple(untested),
        reviews_due=tuple(sorted(due, key=lambda r: (r.review_due, r.key))),
        counts=counts,
        filiere_names={f.id: f.acronym for f in ruleset.filieres.values()},
        window_days=window_days,
    )


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n <= 1 else many}"


def render_text(report: CoverageReport) -> str:
    c = report.counts
    lines = [
        f"Couverture des règles {report.version} au {report.today.strftime('%d/%m/%Y')}",
        "",
        f"{_plural(c['keys'], 'clé', 'clés')}, {_plural(c['questions'], 'question', 'questions')}, "
        f"{_plural(c['outcomes'], 'issue', 'issues')} dont {c['referring_outcomes']} qui orientent, "
        f"{_plural(c['scenarios'], 'scénario', 'scénarios')}.",
        f"Filières atteintes : {c['filieres_reached']} sur {c['filieres']} ; "
        f"{_plural(c['centres'], 'site expert', 'sites experts')}, {c['pnds']} PNDS.",
        "",
        "Clés par filière :",
    ]
    width = max((len(report.filiere_names.get(f, f)) for f in report.keys_by_filiere), default=10)
    for fid, keys in report.keys_by_filiere.items():
        name = report.filiere_names.get(fid, fid)
        centres = report.centres_by_filiere.get(fid, 0)
        listed = ", ".join(keys) if keys else "— aucune clé —"
        lines.append(f"  {name:<{width}}  {len(keys):>2} clé(s)  {centres:>3} site(s)  {listed}")
    lines.append("")
    if report.unreached_filieres:
        names = ", ".join(report.filiere_names.get(f, f) for f in report.unreached_filieres)
        lines.append(f"Filières qu'aucune clé n'atteint ({len(report.unreached_filieres)}) : {names}")
    else:
        lines.append("Toutes les filières sont atteintes par au moins une clé.")
    if report.outcomes_without_scenario:
        lines.append(f"Issues qui orientent sans scénario ({len(report.outcomes_without_scenario)}) :")
        lines.extend(f"  {u.key} → {u.outcome} ({u.action})" for u in report.outcomes_without_scenario)
    else:
        lines.append("Chaque issue qui oriente a au moins un scénario.")
    if report.reviews_due:
        lines.append(f"Relectures à prévoir (dépassées ou dans les {report.window_days} jours) :")
        for r in report.reviews_due:
            when = (f"dépassée depuis {-r.days_left} jour(s)" if r.overdue
                    else f"dans {r.days_left} jour(s)")
            lines.append(f"  {r.key} : {r.review_due.strftime('%d/%m/%Y')} ({when})")
    else:
        lines.append(f"Aucune relecture due dans les {report.window_days} jours.")
    lines.append("")
    lines.append("Couverture suffisante." if report.ok else "Couverture insuffisante : voir ci-dessus.")
    return "\n".join(lines)
