"""Compose the result a GP reads: outcome + filière + centres + links + the "why".

Pure: the web views, the print view and the API render the same Orientation object.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from orient.core import engine
from orient.core.consultation import AnsweredQuestion, describe_answers
from orient.core.model import (
    ACTION_LABELS,
    AGE_BANDS,
    NO_DEPARTEMENT,
    URGENCY_LABELS,
    Departement,
    Filiere,
    Key,
    Network,
    Outcome,
    Pnds,
    Resource,
    Source,
)
from orient.core.ruleset import RuleSet
from orient.services.directory import FAR_KM, Referral, Suggestion, directory_for

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre")
HELPLINE_ID = "mris"  # Maladies Rares Info Services, in rules/resources.yaml


def french_date(day: dt.date) -> str:
    """22 novembre 2026 (1er for the first of the month, as French usage wants)."""
    return f"{'1er' if day.day == 1 else day.day} {MONTHS[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    note: str | None = None


@dataclass(frozen=True)
class Why:
    because: tuple[AnsweredQuestion, ...]
    ruled_out: tuple[tuple[Outcome, tuple[AnsweredQuestion, ...]], ...]
    sources: tuple[Source, ...]
    authored_by: str
    reviewed_on: str
    review_due: str


@dataclass(frozen=True)
class OpenFlag:
    """An outcome that unknown answers left open: what was not checked, and what to do."""

    outcome: Outcome
    signs: tuple[str, ...]  # the questions (and unticked signs) answered "je ne sais pas"
    check: str | None  # what to check today, and how (red flags only)
    if_unchecked: str | None  # the conservative action when it cannot be checked


URGENCY_ORDER = ("urgence", "rapide", "programme", "surveillance")


def _open_flags(state: engine.State) -> tuple[OpenFlag, ...]:
    flags = []
    for outcome in state.unchecked:
        signs: list[str] = []
        for sign in engine.open_signs(state, outcome):
            # The unticked signs of a checklist say it all; a yes/no question is its own text.
            if sign.options:
                signs.extend(o.label for o in sign.options)
            else:
                signs.append(sign.question.text)
        red = outcome.red_flag
        flags.append(OpenFlag(outcome, tuple(signs), red.check if red else None, red.if_unchecked if red else None))
    # Red flags first, most urgent first; rule order otherwise (sorted is stable).
    return tuple(sorted(flags, key=lambda f: (f.check is None, URGENCY_ORDER.index(f.outcome.urgency))))


@dataclass(frozen=True)
class Orientation:
    key: Key
    outcome: Outcome
    urgency: str
    urgency_label: str
    action_label: str
    filiere: Filiere | None
    # Sites of the networks that fit the suspected disease, nearest first (see directory.py).
    centres: tuple[Suggestion, ...]
    centres_scope: str
    pnds: tuple[Pnds, ...]
    orphanet: tuple[Link, ...]
    resources: tuple[Resource, ...]
    regional: tuple[Resource, ...]
    answers: tuple[AnsweredQuestion, ...]
    why: Why
    age_label: str | None
    departement_label: str | None
    rules_version: str
    emergency_resource: Resource | None
    # Where an emergency goes now (SAMU, urgences, UAPED...): an emergency lists no centre.
    emergency_route: tuple[Resource, ...] = ()
    # Red flags (and other orientations) that unknown answers left open, red flags first.
    unchecked: tuple[OpenFlag, ...] = ()
    # The decided outcome reassures ("monitor") but something is still open: it must not be
    # presented as reassurance.
    reassurance_withheld: bool = False
    # The networks that fit, other sites of the filière (labelled apart), and whether the
    # nearest fitting site is out of easy reach.
    networks: tuple[Network, ...] = ()
    other_centres: tuple[Suggestion, ...] = ()
    far: bool = False
    overseas: bool = False
    far_km: int = int(FAR_KM)
    # Maladies Rares Info Services: who to call when no fitting site is in reach.
    helpline: Resource | None = None

    @property
    def addressee(self) -> Suggestion | None:
        """Whom the letter is addressed to: the first fitting site, never a site of another network."""
        return self.centres[0] if self.centres else None

    @property
    def red_flags(self) -> tuple[OpenFlag, ...]:
        return tuple(f for f in self.unchecked if f.check is not None)

    @property
    def other_open(self) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
        """The open outcomes that are not red flags, grouped by the unknown answers that keep
        them open: (signs, outcome titles). One unknown often opens many of them (an organ
        question answered "je ne sais pas"), and the GP needs the question once, not per title."""
        groups: dict[tuple[str, ...], list[str]] = {}
        for flag in self.unchecked:
            if flag.check is None:
                groups.setdefault(flag.signs, []).append(flag.outcome.title)
        return tuple((signs, tuple(titles)) for signs, titles in groups.items())


def answered(state: engine.State, ruleset: RuleSet, ids=None,
             age_group: str | None = None) -> tuple[AnsweredQuestion, ...]:
    """Answers of the engine's path (or of ``ids`` on it), in words (with the reference values for
    ``age_group``)."""
    return describe_answers(state.key, state.answers, state.path if ids is None else ids, ruleset.departement_names,
                            age_group)


def platforms(ruleset: RuleSet, region: str | None = None) -> tuple[Resource, ...]:
    """The regional expertise platforms (PEMR, PCOM overseas), of one region or all."""
    return tuple(r for r in ruleset.resources.values()
                 if r.kind in ("pemr", "pcom") and (region is None or region in r.regions))


def regional_resources(ruleset: RuleSet, departement: str | None) -> tuple[Resource, ...]:
    dep = ruleset.departements.get(departement or "")
    return platforms(ruleset, dep.region) if dep else ()


def national_resources(ruleset: RuleSet) -> tuple[Resource, ...]:
    kinds = ("national", "orphanet", "association", "dac", "erhr")
    return tuple(r for r in ruleset.resources.values() if r.kind in kinds)


def centres_scope(dep: Departement | None) -> str:
    """What the list of sites is, after "Sites " : « les plus proches du Rhône (69) »."""
    if dep is None:
        return "de la liste nationale (département non indiqué)"
    return f"les plus proches {dep.of} ({dep.code})"


def compose(ruleset: RuleSet, state: engine.State, age_group: str | None, departement: str | None) -> Orientation:
    outcome = state.outcome
    if outcome is None:
        raise ValueError("the journey has no outcome yet")
    explanation = engine.explain(state)

    def reasons(items) -> tuple[AnsweredQuestion, ...]:
        return answered(state, ruleset, [r.question.id for r in items], age_group)

    filiere = ruleset.filieres.get(outcome.filiere or "")
    dep_code = departement if departement and departement != NO_DEPARTEMENT else None
    referral = Referral((), (), (), False, False, None)
    # An emergency goes to emergency care: no expert centre is listed (its filière comes next).
    if filiere is not None and outcome.action not in ("monitor", "emergency"):
        directory = directory_for(ruleset)
        referral = directory.refer(filiere.id, outcome.networks or "any", site_types=outcome.centre_types,
                                   age_group=age_group, departement=dep_code)
        named = [ruleset.centres[c] for c in outcome.centres if c in ruleset.centres]
        if named:  # sites the rule names explicitly come first
            first = tuple(directory.suggestion(c, None, False, True) for c in named)
            referral = replace(referral, fitting=first + tuple(
                s for s in referral.fitting if s.centre.id not in outcome.centres))
    dep = ruleset.departements.get(dep_code or "")
    scope = centres_scope(dep)
    orphanet = tuple(Link(f"Fiche Orphanet ORPHA:{code}", ruleset.orphanet_url(code)) for code in outcome.orpha)
    urgences = ruleset.resources.get("orphanet-urgences")
    key = state.key
    unchecked = _open_flags(state)
    withheld = state.reassurance_withheld
    urgency, urgency_label = outcome.urgency, URGENCY_LABELS[outcome.urgency]
    action_label = ACTION_LABELS[outcome.action]
    if withheld:
        # The banner speaks for the most urgent thing still open, not for the reassuring default.
        urgency = min((f.outcome.urgency for f in unchecked), key=URGENCY_ORDER.index)
        urgency_label = ("À vérifier aujourd'hui — signes d'alerte non vérifiés" if unchecked[0].check
                         else "À compléter — des réponses manquent pour conclure")
        action_label = "Pas de conclusion rassurante possible tant que ces signes ne sont pas vérifiés"
    return Orientation(
        key=key,
        outcome=outcome,
        urgency=urgency,
        urgency_label=urgency_label,
        action_label=action_label,
        filiere=filiere,
        centres=referral.fitting,
        centres_scope=scope,
        pnds=tuple(ruleset.pnds[p] for p in outcome.pnds if p in ruleset.pnds),
        orphanet=orphanet,
        resources=national_resources(ruleset),
        regional=regional_resources(ruleset, dep_code),
        answers=answered(state, ruleset, age_group=age_group),
        why=Why(
            because=reasons(explanation.because),
            ruled_out=tuple((r.outcome, reasons(r.because)) for r in explanation.ruled_out),
            sources=ruleset.sources_for(key, outcome),
            authored_by=key.authored_by,
            reviewed_on=french_date(key.reviewed_on),
            review_due=french_date(key.review_due),
        ),
        age_label=AGE_BANDS.get(age_group or ""),
        departement_label=f"{dep.name} ({dep.code})" if dep else None,
        rules_version=ruleset.version,
        emergency_resource=urgences if outcome.action == "emergency" else None,
        # Only the places that take this patient (no paediatric emergencies for an adult).
        emergency_route=tuple(r for r in (ruleset.resources[rid] for rid in outcome.emergency_route
                                          if rid in ruleset.resources) if r.serves(age_group)),
        unchecked=unchecked,
        reassurance_withheld=withheld,
        networks=referral.networks,
        other_centres=referral.others,
        far=referral.far,
        overseas=referral.overseas,
        helpline=ruleset.resources.get(HELPLINE_ID),
    )
