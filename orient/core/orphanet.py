"""From any Orphanet entity to the filière(s) that follow it: orient's own reviewed mapping.

``rules/orphanet-filieres.yaml`` (model: :class:`~orient.core.model.OrphanetMapping`) holds three
kinds of decisions, each with a reason in the author's words or a source URL: classification
**heads** (the 33 specialty trees' roots), **groups** (any node of a tree below a head) and
single **diseases**. A decision names filière ids, or says explicitly ``no_filiere`` (rare
cancers, infections, toxic causes, transplantation...).

:meth:`Catalogue.suggest` applies them, first that applies wins:

1. the **PNDS** filière(s) when a PNDS of ``rules/pnds.yaml`` carries the code (or, for a
   subtype, the disorder it belongs to);
2. a **single-disease** decision on the code itself;
3. the nearest **group** decision going up the entity's preferential classification (the
   linearisation's head; all classifications for a group or an unlinearised entity), a
   disease decision on a parent disorder counting for its subtypes; several decisions at
   the same distance are joined;
4. the **head** decision of the preferential classification (for a group: of every
   classification it is in).

Pure: no Flask. Checks of the mapping: :func:`check_mapping` (with the rules, always) and
:func:`check_against` (with a nomenclature, when one is configured).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from orient.core.diagnostics import Diagnostic, suggest
from orient.core.loader import SourceMap
from orient.core.model import Network, OrphanetDecision, OrphanetMapping, Pnds
from orient.services.nomenclature import Nomenclature

if TYPE_CHECKING:
    from orient.core.ruleset import RuleSet

SECTIONS = ("heads", "groups", "diseases")
BASIS_LABELS = {
    "pnds": "filière du PNDS",
    "maladie": "décision d'orient pour cette maladie",
    "groupe": "d'après son groupe dans la classification d'Orphanet",
    "tete": "d'après sa classification Orphanet de rattachement",
    "aucune": "aucune décision",
}
NO_FILIERE_LABELS = {
    "cancer-rare": "cancer rare : réseaux nationaux de cancers rares labellisés par l'INCa, pas une filière de santé "
                   "maladies rares",
    "infection": "maladie infectieuse : infectiologie, pas une filière de santé maladies rares",
    "toxique": "cause toxique ou médicamenteuse : pas une filière de santé maladies rares",
    "transplantation": "situation liée à une transplantation : équipe de greffe, pas une filière de santé "
                       "maladies rares",
    "hors-filiere": "aucune filière de santé maladies rares ne couvre cette maladie",
}


# --- checks ---------------------------------------------------------------------------------


def _decisions(mapping: OrphanetMapping) -> Iterable[tuple[str, int, OrphanetDecision]]:
    for section in SECTIONS:
        for i, decision in enumerate(getattr(mapping, section)):
            yield section, i, decision


def check_mapping(mapping: OrphanetMapping, smap: SourceMap, known_filieres: set[str] | None,
                  networks: Mapping[str, Network] | None, today: dt.date | None = None) -> list[Diagnostic]:
    """What the schema cannot say: one of filières / no_filiere, a reason or a source, known
    filières and networks, no code decided twice with different filières."""
    today = today or dt.date.today()
    diags: list[Diagnostic] = []
    first: dict[int, tuple[str, int, OrphanetDecision]] = {}
    for section, i, d in _decisions(mapping):
        base = (section, i)
        if bool(d.filieres) == bool(d.no_filiere):
            diags.append(smap.diag(base + ("orpha",), "ORPHA_DECISION_INVALIDE",
                                   f"ORPHA:{d.orpha} : donnez soit des filières (filieres), soit une absence "
                                   "explicite de filière (no_filiere), pas les deux ni aucun"))
        if not d.reason and not d.source:
            diags.append(smap.diag(base + ("orpha",), "ORPHA_SANS_RAISON",
                                   f"ORPHA:{d.orpha} : chaque décision donne sa raison (reason) ou sa source (source)"))
        for j, fid in enumerate(d.filieres):
            if known_filieres is not None and fid not in known_filieres:
                diags.append(smap.diag(base + ("filieres", j), "FILIERE_INCONNUE", f"filière « {fid} » inconnue",
                                       suggestion=suggest(fid, known_filieres)))
        for j, nid in enumerate(d.networks):
            if networks is None:
                continue
            network = networks.get(nid)
            if network is None:  # a reduced rule set may lack that filière's centres: the order only is lost
                diags.append(smap.diag(base + ("networks", j), "RESEAU_INCONNU",
                                       f"réseau « {nid} » inconnu : ignoré pour cette décision",
                                       suggestion=suggest(nid, networks), severity="avertissement"))
            elif network.filiere not in d.filieres:
                diags.append(smap.diag(base + ("networks", j), "RESEAU_HORS_FILIERE",
                                       f"le réseau « {nid} » appartient à la filière « {network.filiere} », "
                                       "absente des filières de cette décision"))
        earlier = first.get(d.orpha)
        if earlier is None:
            first[d.orpha] = (section, i, d)
            continue
        where = f"{earlier[0]}[{earlier[1]}], ligne {smap.at((earlier[0], earlier[1], 'orpha'))[0]}"
        if (set(earlier[2].filieres), earlier[2].no_filiere) == (set(d.filieres), d.no_filiere):
            diags.append(smap.diag(base + ("orpha",), "ORPHA_DOUBLON",
                                   f"ORPHA:{d.orpha} est déjà décidé de la même façon ({where})",
                                   severity="avertissement"))
        else:
            diags.append(smap.diag(base + ("orpha",), "ORPHA_CONFLIT",
                                   f"ORPHA:{d.orpha} est décidé deux fois avec des filières différentes "
                                   f"(déjà en {where})"))
    if mapping.review_due < today:
        diags.append(smap.diag(("review_due",), "RELECTURE_DUE",
                               f"relecture de la correspondance Orphanet → filières due depuis le "
                               f"{mapping.review_due.strftime('%d/%m/%Y')}", severity="avertissement"))
    return diags


def check_against(mapping: OrphanetMapping, smap: SourceMap, nomenclature: Nomenclature) -> list[Diagnostic]:
    """Codes of the mapping the configured nomenclature does not know (or retired), heads that
    head no classification, and names that differ from the nomenclature's (a typo in a code).
    Warnings: a newer release must not stop the service; the decision is then ignored."""
    from orient.services.search import normalise_text

    diags: list[Diagnostic] = []
    release = nomenclature.release_label
    for section, i, d in _decisions(mapping):
        path = (section, i, "orpha")
        code = d.orpha
        if not nomenclature.is_known(code):
            entity, _ = nomenclature.resolve(code)
            if entity is not None:
                diags.append(smap.diag(path, "ORPHA_OBSOLETE",
                                       f"ORPHA:{code} est obsolète dans la nomenclature Orphanet ({release}) : "
                                       f"remplacé par ORPHA:{entity.code} « {entity.name} »",
                                       suggestion=str(entity.code), severity="avertissement"))
            elif code in nomenclature.retired:
                diags.append(smap.diag(path, "ORPHA_INACTIF",
                                       f"ORPHA:{code} n'est plus actif dans la nomenclature Orphanet ({release}), sans "
                                       "code de remplacement : décision ignorée", severity="avertissement"))
            else:
                diags.append(smap.diag(path, "ORPHA_INCONNU",
                                       f"ORPHA:{code} est inconnu de la nomenclature Orphanet ({release}) : "
                                       "décision ignorée", severity="avertissement"))
            continue
        if section == "heads" and code not in nomenclature.trees:
            diags.append(smap.diag(path, "ORPHA_PAS_UNE_TETE",
                                   f"ORPHA:{code} n'est la tête d'aucune classification : à ranger dans groups",
                                   severity="avertissement"))
        elif section != "heads" and code in nomenclature.trees:
            diags.append(smap.diag(path, "ORPHA_TETE_HORS_HEADS",
                                   f"ORPHA:{code} est la tête d'une classification : à ranger dans heads",
                                   severity="avertissement"))
        if nomenclature.language == "fr":
            names = [nomenclature.name_of(code) or ""]
            entity = nomenclature.entities.get(code)
            if entity is not None:
                names += entity.synonyms
            if normalise_text(d.name) not in {normalise_text(n) for n in names}:
                diags.append(smap.diag((section, i, "name"), "ORPHA_NOM_DIFFERENT",
                                       f"ORPHA:{code} s'appelle « {names[0]} » dans la nomenclature ({release}), pas "
                                       f"« {d.name} » : code erroné ?", severity="avertissement"))
    return diags


# --- suggestion -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FiliereSuggestion:
    """The filière(s) for one entity, and why."""

    code: int
    filieres: tuple[str, ...]
    networks: tuple[str, ...]
    basis: str                          # "pnds", "maladie", "groupe", "tete", "aucune"
    decision: OrphanetDecision | None = None
    via: int | None = None              # the decided code (itself, a group, a parent disorder, a head)
    pnds: tuple[Pnds, ...] = ()

    @property
    def decided(self) -> bool:
        return self.basis != "aucune"

    @property
    def no_filiere(self) -> str | None:
        return self.decision.no_filiere if self.decision is not None and not self.filieres else None

    @property
    def no_filiere_label(self) -> str | None:
        return NO_FILIERE_LABELS.get(self.no_filiere or "")

    @property
    def basis_label(self) -> str:
        return BASIS_LABELS[self.basis]


class Catalogue:
    """A nomenclature read through one rule set's PNDS and mapping. Build with :func:`catalogue_for`."""

    def __init__(self, ruleset: RuleSet, nomenclature: Nomenclature):
        self.ruleset = ruleset
        self.nomenclature = nomenclature
        mapping = ruleset.orphanet
        self.heads: dict[int, OrphanetDecision] = {}
        self.below: dict[int, tuple[str, OrphanetDecision]] = {}  # group and disease decisions
        if mapping is not None:
            self.heads = {d.orpha: d for d in mapping.heads}
            for d in mapping.groups:
                self.below.setdefault(d.orpha, ("groupe", d))
            for d in mapping.diseases:
                self.below[d.orpha] = ("maladie", d)  # a disease decision is more specific than a group one
        pnds: dict[int, list[Pnds]] = {}
        for p in ruleset.pnds.values():
            for code in p.orpha:
                entity, _ = nomenclature.resolve(code)
                target = entity.code if entity is not None else code
                if p not in pnds.setdefault(target, []):
                    pnds[target].append(p)
        self.pnds_by_code: Mapping[int, tuple[Pnds, ...]] = {c: tuple(ps) for c, ps in pnds.items()}
        self._cache: dict[tuple[int, bool], FiliereSuggestion] = {}

    def pnds_for(self, code: int) -> tuple[Pnds, ...]:
        """The PNDS carrying the code; else the nearest PNDS carried by a group or "catégorie"
        above it (a PNDS on Charcot-Marie-Tooth covers its types) or, for a subtype, by the
        disorder it belongs to. A PNDS on another disorder never spreads to its neighbours."""
        own = self.pnds_by_code.get(code)
        if own:
            return own
        nom = self.nomenclature
        entity = nom.entities.get(code)
        subtype = entity is not None and entity.level == "sous-type"
        for _, codes in nom.ancestors(code):
            found: dict[Pnds, None] = {}
            for c in codes:
                parent = nom.entities.get(c)
                if parent is None or parent.level == "groupe" or (subtype and parent.level == "maladie"):
                    found.update(dict.fromkeys(self.pnds_by_code.get(c, ())))
            if found:
                return tuple(found)
        return ()

    def suggest(self, code: int, use_pnds: bool = True) -> FiliereSuggestion:
        key = (code, use_pnds)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._suggest(code, use_pnds)
        return found

    def _suggest(self, code: int, use_pnds: bool) -> FiliereSuggestion:
        nom = self.nomenclature
        if use_pnds:
            pnds = self.pnds_for(code)
            if pnds:
                filieres = tuple(dict.fromkeys(f for p in pnds for f in p.filieres))
                networks = tuple(dict.fromkeys(n.id for p in pnds
                                               for n in self.ruleset.networks_for_pnds.get(p.id, ())))
                return FiliereSuggestion(code, filieres, networks, "pnds", None, code, pnds)
        pnds = self.pnds_for(code) if use_pnds else ()
        own = self.below.get(code)
        if own is not None:
            return self._combine(code, [own[1]], own[0], code, pnds)
        head = nom.heads.get(code)
        tree = head if head in nom.trees else None
        for _, codes in nom.ancestors(code, tree):
            found = [(c, f) for c, f in ((c, self._below(c, tree)) for c in codes) if f is not None]
            if found:
                basis = "maladie" if all(b == "maladie" for _, (b, _) in found) else "groupe"
                return self._combine(code, [d for _, (_, d) in found], basis, found[0][0], pnds)
        heads = (tree,) if tree is not None else nom.trees_of(code)
        decisions = [self.heads[h] for h in heads if h is not None and h in self.heads]
        if decisions:
            via = next(h for h in heads if h in self.heads)
            return self._combine(code, decisions, "tete", via, pnds)
        return FiliereSuggestion(code, (), (), "aucune", None, None, pnds)

    def _below(self, code: int, tree: int | None) -> tuple[str, OrphanetDecision] | None:
        """The decision on a node met going up: a group's or a disease's; in the preferential
        classification, the head of another classification met inside it (« Maladie rare en
        chirurgie cardiaque » inside the developmental anomalies) counts as a group."""
        found = self.below.get(code)
        if found is not None:
            return found
        if tree is not None and code != tree and code in self.heads:
            return "groupe", self.heads[code]
        return None

    @staticmethod
    def _combine(code: int, decisions: list[OrphanetDecision], basis: str, via: int | None,
                 pnds: tuple[Pnds, ...]) -> FiliereSuggestion:
        with_filiere = [d for d in decisions if d.filieres]
        if with_filiere:
            filieres = tuple(dict.fromkeys(f for d in with_filiere for f in d.filieres))
            networks = tuple(dict.fromkeys(n for d in with_filiere for n in d.networks))
            return FiliereSuggestion(code, filieres, networks, basis, with_filiere[0], via, pnds)
        return FiliereSuggestion(code, (), (), basis, decisions[0], via, pnds)

    def preferred_head(self, code: int) -> int | None:
        head = self.nomenclature.heads.get(code)
        return head if head in self.nomenclature.trees else None


@lru_cache(maxsize=4)
def catalogue_for(ruleset: RuleSet, nomenclature: Nomenclature) -> Catalogue:
    """One catalogue per (rule set, nomenclature); both are hashed by identity."""
    return Catalogue(ruleset, nomenclature)


# --- coverage ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeadCoverage:
    head: int | None
    name: str
    disorders: int
    with_filiere: int
    no_filiere: int
    filieres: Mapping[str, int]


@dataclass(frozen=True)
class Agreement:
    pnds: str
    code: int
    name: str
    pnds_filieres: tuple[str, ...]
    mapped: FiliereSuggestion

    @property
    def agrees(self) -> bool:
        return bool(set(self.pnds_filieres) & set(self.mapped.filieres))


@dataclass(frozen=True)
class MappingReport:
    release: str
    disorders: int                      # active disorders and subtypes
    with_filiere: int
    no_filiere: int
    by_filiere: Mapping[str, int]
    by_basis: Mapping[str, int]
    by_no_filiere: Mapping[str, int]
    by_head: tuple[HeadCoverage, ...]
    agreement: tuple[Agreement, ...]    # PNDS codes that are active entities
    pnds_codes_inactive: tuple[tuple[str, int], ...] = field(default=())

    @property
    def decided(self) -> int:
        return self.with_filiere + self.no_filiere

    @property
    def decided_share(self) -> float:
        return self.decided / self.disorders if self.disorders else 0.0

    @property
    def agreement_share(self) -> float:
        return sum(a.agrees for a in self.agreement) / len(self.agreement) if self.agreement else 1.0

    def as_dict(self) -> dict:
        return {
            "release": self.release,
            "disorders": self.disorders, "with_filiere": self.with_filiere, "no_filiere": self.no_filiere,
            "decided_share": round(self.decided_share, 4),
            "by_filiere": dict(self.by_filiere), "by_basis": dict(self.by_basis),
            "by_no_filiere": dict(self.by_no_filiere),
            "by_head": [{"head": h.head, "name": h.name, "disorders": h.disorders, "with_filiere": h.with_filiere,
                         "no_filiere": h.no_filiere, "filieres": dict(h.filieres)} for h in self.by_head],
            "pnds_agreement": round(self.agreement_share, 4),
            "pnds_exceptions": [{"pnds": a.pnds, "orpha": a.code, "name": a.name,
                                 "pnds_filieres": list(a.pnds_filieres),
                                 "mapped": list(a.mapped.filieres), "no_filiere": a.mapped.no_filiere,
                                 "basis": a.mapped.basis} for a in self.agreement if not a.agrees],
            "pnds_codes_inactive": [{"pnds": p, "orpha": c} for p, c in self.pnds_codes_inactive],
        }


def mapping_report(ruleset: RuleSet, nomenclature: Nomenclature) -> MappingReport:
    """Share of active disorders and subtypes with a filière or an explicit "no filière", per
    filière and per preferential head; agreement of the mapping (without the PNDS step) with
    the PNDS filières on the PNDS codes."""
    catalogue = catalogue_for(ruleset, nomenclature)
    by_filiere: Counter[str] = Counter()
    by_basis: Counter[str] = Counter()
    by_none: Counter[str] = Counter()
    heads: dict[int | None, list[FiliereSuggestion]] = {}
    with_filiere = no_filiere = 0
    disorders = nomenclature.disorders
    for entity in disorders:
        s = catalogue.suggest(entity.code)
        by_basis[s.basis] += 1
        if s.filieres:
            with_filiere += 1
            by_filiere.update(s.filieres)
        elif s.no_filiere:
            no_filiere += 1
            by_none[s.no_filiere] += 1
        heads.setdefault(catalogue.preferred_head(entity.code), []).append(s)
    by_head = []
    for head, items in sorted(heads.items(), key=lambda kv: -len(kv[1])):
        counts: Counter[str] = Counter(f for s in items for f in s.filieres)
        by_head.append(HeadCoverage(head, (nomenclature.name_of(head) if head else None) or "sans classification",
                                    len(items), sum(bool(s.filieres) for s in items),
                                    sum(bool(s.no_filiere) for s in items), dict(counts.most_common())))
    agreement = []
    inactive: list[tuple[str, int]] = []
    for p in ruleset.pnds.values():
        for code in dict.fromkeys(p.orpha):
            found, _ = nomenclature.resolve(code)
            if found is None:  # retired, or a "catégorie" heading (not a disease to compare)
                inactive.append((p.id, code))
                continue
            agreement.append(Agreement(p.id, found.code, found.name, tuple(p.filieres),
                                       catalogue.suggest(found.code, use_pnds=False)))
    return MappingReport(nomenclature.release_label, len(disorders), with_filiere, no_filiere,
                         dict(by_filiere.most_common()), dict(by_basis), dict(by_none), tuple(by_head),
                         tuple(agreement), tuple(inactive))


def render_report(report: MappingReport, names: Mapping[str, str]) -> str:
    def pct(n: int, total: int) -> str:
        return f"{100 * n / total:.1f} %" if total else "—"

    total = report.disorders
    lines = [f"Nomenclature Orphanet ({report.release}) : {total} maladies et sous-types actifs.",
             f"  avec une filière : {report.with_filiere} ({pct(report.with_filiere, total)}) ; "
             f"sans filière, explicitement : {report.no_filiere} ({pct(report.no_filiere, total)}) ; "
             f"décidés : {pct(report.decided, total)} ; sans décision : {total - report.decided}.",
             "  par origine : " + ", ".join(f"{BASIS_LABELS[b]} {n}" for b, n in sorted(report.by_basis.items())),
             "  sans filière, par raison : " + (", ".join(f"{k} {n}" for k, n in report.by_no_filiere.items()) or "—"),
             "Par filière (une maladie peut en avoir plusieurs) :"]
    lines += [f"  {names.get(f, f):<14} {n:>5}" for f, n in report.by_filiere.items()]
    lines.append("Par classification de rattachement (linéarisation d'Orphanet) :")
    for h in report.by_head:
        top = ", ".join(f"{names.get(f, f)} {n}" for f, n in list(h.filieres.items())[:3])
        lines.append(f"  {h.name[:60]:<60} {h.disorders:>5}  filière {pct(h.with_filiere, h.disorders):>7}  "
                     f"sans filière {pct(h.no_filiere, h.disorders):>7}" + (f"  ({top})" if top else ""))
    agreeing = sum(a.agrees for a in report.agreement)
    lines.append(f"Accord avec les filières des PNDS (correspondance seule, sans l'étape PNDS) : {agreeing} sur "
                 f"{len(report.agreement)} codes ({pct(agreeing, len(report.agreement))}).")
    for a in report.agreement:
        if not a.agrees:
            mapped = ", ".join(names.get(f, f) for f in a.mapped.filieres) or (a.mapped.no_filiere or "aucune")
            lines.append(f"  exception : {a.pnds} ORPHA:{a.code} « {a.name} » : PNDS "
                         f"{', '.join(names.get(f, f) for f in a.pnds_filieres)}, correspondance {mapped} "
                         f"({BASIS_LABELS[a.mapped.basis]})")
    if report.pnds_codes_inactive:
        lines.append("Codes ORPHA des PNDS qui ne sont pas des maladies actives (catégories ou codes retirés) : "
                     + ", ".join(f"{p} ORPHA:{c}" for p, c in report.pnds_codes_inactive))
    return "\n".join(lines)
