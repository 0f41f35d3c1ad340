"""How well the rules cover the ground: keys per filière, untested outcomes, reviews due.

``orient coverage`` prints this report (or its JSON form) and fails when a filière is
reached by no key or an outcome that refers a patient has no scenario: the two gaps that
make the knowledge base unsafe to extend without noticing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from orient.core import age_alerts
from orient.core.checks import bands_where, pnds_reached
from orient.core.model import AGE_QUESTION_ID
from orient.core.ruleset import RuleSet
from orient.services.directory import directory_for

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
    # PNDS no outcome cites: with the reason they are reached by search only, or without (a gap).
    pnds_search_only: tuple[tuple[str, str], ...] = ()
    pnds_unreached: tuple[str, ...] = ()
    # (key, outcome, age band) where the age alone does not rule the outcome out and no scenario
    # of the key reaches it with that band: the per-band scenarios still to write (issue 19).
    bands_without_scenario: tuple[tuple[str, str, str], ...] = ()
    # (key, age band) the key serves with no scenario of its own (the shared age-alert cases,
    # "<case>--<key>", do not count): issue 19 asks for one per band a key serves.
    key_bands_without_scenario: tuple[tuple[str, str], ...] = ()

    @property
    def ok(self) -> bool:
        return (not self.unreached_filieres and not self.outcomes_without_scenario and not self.pnds_unreached
                and not self.key_bands_without_scenario)

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
            "pnds_search_only": [{"pnds": pid, "reason": reason} for pid, reason in self.pnds_search_only],
            "pnds_unreached": list(self.pnds_unreached),
            "key_bands_without_scenario": [{"key": k, "age_group": b} for k, b in self.key_bands_without_scenario],
            "bands_without_scenario": [{"key": k, "outcome": o, "age_group": b}
                                       for k, o, b in self.bands_without_scenario],
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
    outcomes = referring = questions = band_pairs = 0
    # The age-band red flags are the layer's, scenarios of their own run on every key they serve.
    layer_outcomes = {o.id for o in ruleset.age_alerts.outcomes} if ruleset.age_alerts else set()
    bands_untested: list[tuple[str, str, str]] = []
    key_bands_untested: list[tuple[str, str]] = []
    for key in sorted(ruleset.keys.values(), key=lambda k: k.id):
        tested = {s.expect for s in ruleset.scenarios.get(key.id, ())}
        tested_bands = {(s.expect, s.answers.get(AGE_QUESTION_ID)) for s in ruleset.scenarios.get(key.id, ())}
        own_bands = {s.answers.get(AGE_QUESTION_ID) for s in ruleset.scenarios.get(key.id, ())
                     if age_alerts.shared_case(s.id) is None}
        key_bands_untested.extend((key.id, band) for band in key.ages if band not in own_bands)
        questions += len(key.questions)
        for fid in key.filieres:
            keys_by_filiere.setdefault(fid, []).append(key.id)
        for outcome in key.outcomes:
            outcomes += 1
            if outcome.id not in layer_outcomes:
                for band in sorted(bands_where(key, outcome.when), key=key.ages.index):
                    band_pairs += 1
                    if (outcome.id, band) not in tested_bands:
                        bands_untested.append((key.id, outcome.id, band))
            if outcome.action != "monitor":
                referring += 1
                if outcome.id not in tested:
                    untested.append(UntestedOutcome(key.id, outcome.id, outcome.action))
        days_left = (key.review_due - today).days
        if days_left <= window_days:
            due.append(ReviewDue(key.id, key.review_due, days_left))
    centres_by_filiere = dict.fromkeys(ruleset.filieres, 0)
    for centre in ruleset.centres.values():
        centres_by_filiere[centre.filiere] = centres_by_filiere.get(centre.filiere, 0) + 1
    unreached = tuple(f for f, keys in keys_by_filiere.items() if not keys)
    cited = pnds_reached(ruleset.keys.values())
    search_only = tuple((p.id, p.search_only) for p in ruleset.pnds.values() if p.id not in cited and p.search_only)
    pnds_unreached = tuple(p.id for p in ruleset.pnds.values() if p.id not in cited and not p.search_only)
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
        "pnds_reached": len(cited & set(ruleset.pnds)),
        "pnds_search_only": len(search_only),
        "keys_for_adults": sum(1 for key in ruleset.keys.values() if "adulte" in key.ages),
        "outcome_bands": band_pairs,
        "outcome_bands_with_scenario": band_pairs - len(bands_untested),
        "key_bands": sum(len(key.ages) for key in ruleset.keys.values()),
        "key_bands_with_scenario": sum(len(key.ages) for key in ruleset.keys.values()) - len(key_bands_untested),
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
        pnds_search_only=search_only,
        pnds_unreached=pnds_unreached,
        bands_without_scenario=tuple(bands_untested),
        key_bands_without_scenario=tuple(key_bands_untested),
    )


@dataclass(frozen=True)
class FiliereReach:
    """How well the directory lets a GP reach one filière's expert sites."""

    filiere: str
    networks: int
    sites: int
    by_type: dict[str, int]
    own_contact: int  # sites with a phone or a page of their own
    reachable: int  # sites with any contact route (their own, their network's or the filière's)
    # Départements where a referring outcome of this filière finds no fitting site within
    # 200 km (or, overseas, none in the territory's basin).
    far_departements: tuple[str, ...]


@dataclass(frozen=True)
class DirectoryReport:
    sites: int
    networks: int
    labelled_estimate: int | None
    filieres: tuple[FiliereReach, ...]
    # (key, outcome, age band) for which no site of a fitting network takes the patient.
    no_fitting_site: tuple[tuple[str, str, str], ...]
    networks_without_coordinator: tuple[str, ...]  # named by no outcome (orient check errors otherwise)

    def as_dict(self) -> dict:
        return {
            "sites": self.sites, "networks": self.networks, "labelled_estimate": self.labelled_estimate,
            "filieres": [{"filiere": f.filiere, "networks": f.networks, "sites": f.sites, "by_type": f.by_type,
                          "own_contact": f.own_contact, "reachable": f.reachable,
                          "far_departements": list(f.far_departements)} for f in self.filieres],
            "no_fitting_site": [{"key": k, "outcome": o, "age_group": a} for k, o, a in self.no_fitting_site],
            "networks_without_coordinator": list(self.networks_without_coordinator),
        }


def directory_report(ruleset: RuleSet) -> DirectoryReport:
    """Per filière: networks, sites by type, contact routes, and where the nearest fitting site
    is far; per referring outcome: the age bands for which no fitting site exists."""
    directory = directory_for(ruleset)
    referring = [(key, o, o.filiere) for key in sorted(ruleset.keys.values(), key=lambda k: k.id)
                 for o in key.outcomes if o.filiere and o.action not in ("monitor", "emergency")]
    far: dict[str, set[str]] = {f: set() for f in ruleset.filieres}
    missing: list[tuple[str, str, str]] = []
    for key, outcome, filiere in referring:
        # An outcome the age alone rules out for a band (an adult-only branch of a key that also
        # serves children) needs no site for it.
        for band in sorted(bands_where(key, outcome.when), key=key.ages.index):
            if not directory.refer(filiere, outcome.networks or "any", site_types=outcome.centre_types,
                                   age_group=band).fitting:
                missing.append((key.id, outcome.id, band))
        for dep in ruleset.departements:
            if directory.refer(filiere, outcome.networks or "any", site_types=outcome.centre_types,
                               departement=dep, limit=1, others_limit=0).far:
                far[filiere].add(dep)
    reach = []
    for fid in ruleset.filieres:
        sites = [c for c in ruleset.centres.values() if c.filiere == fid]
        by_type: dict[str, int] = {}
        for c in sites:
            by_type[c.site_type] = by_type.get(c.site_type, 0) + 1
        reach.append(FiliereReach(
            fid, sum(1 for n in ruleset.networks.values() if n.filiere == fid), len(sites), by_type,
            sum(1 for c in sites if any(r.whose == "site" for r in directory.routes[c.id])),
            sum(1 for c in sites if directory.routes[c.id]),
            tuple(sorted(far[fid], key=lambda d: (len(d) > 2, d)))))
    coordinated = {c.network for c in ruleset.centres.values() if c.site_type == "crmr_coordonnateur"}
    return DirectoryReport(len(ruleset.centres), len(ruleset.networks), ruleset.meta.centres_total_estimate,
                           tuple(reach), tuple(missing),
                           tuple(sorted(n for n in ruleset.networks if n not in coordinated)))


def render_directory(report: DirectoryReport, names: dict[str, str]) -> str:
    share = (f", soit environ {round(100 * report.sites / report.labelled_estimate)} % des quelque "
             f"{report.labelled_estimate} sites labellisés") if report.labelled_estimate else ""
    lines = [f"Annuaire : {report.sites} sites, {report.networks} réseaux{share}.",
             "  filière      réseaux  sites  coord. constit. CCMR/CRC  non précisé  contact propre  joignables  "
             "départements à plus de 200 km d'un site adapté"]
    for f in report.filieres:
        t = f.by_type
        lines.append(f"  {names.get(f.filiere, f.filiere):<12} {f.networks:>7} {f.sites:>6} "
                     f"{t.get('crmr_coordonnateur', 0):>7} {t.get('crmr_constitutif', 0):>8} "
                     f"{t.get('ccmr', 0) + t.get('crc', 0):>9} {t.get('non_precise', 0):>12} {f.own_contact:>15} "
                     f"{f.reachable:>11}  {len(f.far_departements)}"
                     + (f" ({', '.join(f.far_departements)})" if f.far_departements else ""))
    if report.no_fitting_site:
        lines.append(f"Issues sans site adapté pour une tranche d'âge ({len(report.no_fitting_site)}) :")
        lines.extend(f"  {k} → {o} ({a})" for k, o, a in report.no_fitting_site)
    else:
        lines.append("Chaque issue qui oriente a un site adapté pour chacune de ses tranches d'âge.")
    if report.networks_without_coordinator:
        lines.append("Réseaux sans site coordonnateur dans l'annuaire (aucune issue ne peut les nommer) : "
                     + ", ".join(report.networks_without_coordinator))
    return "\n".join(lines)


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
        f"Clés qui servent les adultes : {c['keys_for_adults']}.",
        f"PNDS atteints depuis un signe : {c['pnds_reached']} sur {c['pnds']} ; par la seule recherche "
        f"(raison dans pnds.yaml) : {c['pnds_search_only']} ; sans accès : {len(report.pnds_unreached)}.",
        f"Tranches d'âge servies par chaque clé avec un scénario propre : {c['key_bands_with_scenario']} sur "
        f"{c['key_bands']}.",
        f"Issues × tranches d'âge qu'elles servent : {c['outcome_bands_with_scenario']} sur {c['outcome_bands']} "
        "ont un scénario (liste : --json, bands_without_scenario).",
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
    if report.pnds_search_only:
        lines.append(f"PNDS atteints par la seule recherche ({len(report.pnds_search_only)}) :")
        lines.extend(f"  {pid} : {reason}" for pid, reason in report.pnds_search_only)
    if report.pnds_unreached:
        lines.append(f"PNDS qu'aucune issue ne cite, sans raison donnée ({len(report.pnds_unreached)}) : "
                     + ", ".join(report.pnds_unreached))
    if report.key_bands_without_scenario:
        lines.append(f"Tranches d'âge servies sans scénario propre ({len(report.key_bands_without_scenario)}) : "
                     + ", ".join(f"{k} ({b})" for k, b in report.key_bands_without_scenario))
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
