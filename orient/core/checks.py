"""Everything a schema cannot say about the rules: references, graph, governance.

Each check returns Diagnostics (never raises), so ``orient check`` reports every problem
at once. Graph checks (unreachable question, outcome that can never match) are proved by
exploring the engine's own paths, so the checker and the engine cannot disagree.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from orient.core import age_alerts, engine, links, orphanet
from orient.core.cache import NO_CACHE, Cache
from orient.core.diagnostics import Diagnostic, Severity, suggest
from orient.core.letter import missing_statements
from orient.core.loader import SourceMap
from orient.core.model import (
    AGE_BANDS,
    AGE_QUESTION_ID,
    UNKNOWN,
    YES_NO,
    AgeAlertLayer,
    AnswerCondition,
    Centre,
    Condition,
    Departement,
    Filiere,
    Key,
    Meta,
    Network,
    OrphanetMapping,
    Outcome,
    Pnds,
    Region,
    Resource,
    ResourceFile,
    ScenarioFile,
    TerritoryFile,
    Threshold,
    Value,
    iter_leaves,
)


@dataclass
class Parsed:
    """Every successfully parsed document, with its source map, ready for cross-checks."""

    meta: tuple[Meta, SourceMap] | None = None
    filieres: list[tuple[Filiere, SourceMap, int]] = field(default_factory=list)
    centres: list[tuple[Centre, SourceMap, int]] = field(default_factory=list)
    networks: list[tuple[Network, SourceMap, int]] = field(default_factory=list)
    keys: list[tuple[Key, SourceMap, str]] = field(default_factory=list)  # with file stem
    age_alerts: tuple[AgeAlertLayer, SourceMap] | None = None
    pnds: list[tuple[Pnds, SourceMap, int]] = field(default_factory=list)
    resources: tuple[ResourceFile, SourceMap] | None = None
    territories: tuple[TerritoryFile, SourceMap] | None = None
    scenarios: list[tuple[ScenarioFile, SourceMap]] = field(default_factory=list)
    failed_keys: set[str] = field(default_factory=set)  # key ids (file stems) that did not parse
    # Reference files that did not parse ("filieres", "centres", "pnds"): their ids are unknown,
    # so references to them are not checked (one typo must not cascade into hundreds of errors).
    failed_kinds: set[str] = field(default_factory=set)
    mirrors: links.MirrorSource | None = None  # rules/mirrors.yaml, if present
    orphanet: tuple[OrphanetMapping, SourceMap] | None = None  # rules/orphanet-filieres.yaml, if present
    cache: Cache = NO_CACHE  # where the explorations of unchanged keys are kept (cache.py)

    @property
    def mirror_hosts(self) -> tuple[str, ...]:
        """The mirrors no link may go through: rules/mirrors.yaml, else the default list."""
        return links.mirror_hosts(self.mirrors)


# Two switches. PNDS_YEAR_SEVERITY (issue 18): 14 PNDS of rules/pnds.yaml have no year that could
# be sourced without live access to has-sante.fr or the filières' sites (four searches of the stored
# corpora, /work/notes/pnds-urls-part*.md), so PNDS_SANS_ANNEE stays a warning until they are filled.
# PNDS_REACH_SEVERITY (issue 19): a PNDS that no outcome cites and that does not say why
# (search_only) is an error since the catalogue is covered (155 of 155 reached from a sign).
PNDS_YEAR_SEVERITY: Severity = "avertissement"
PNDS_REACH_SEVERITY: Severity = "erreur"


def check(parsed: Parsed, today: dt.date | None = None) -> list[Diagnostic]:
    today = today or dt.date.today()
    diags: list[Diagnostic] = []
    filiere_ids = _unique(diags, ((f.id, smap, ("filieres", i, "id")) for f, smap, i in parsed.filieres), "filière")
    centre_ids = _unique(diags, ((c.id, smap, ("centres", i, "id")) for c, smap, i in parsed.centres), "centre")
    pnds_ids = _unique(diags, ((p.id, smap, ("pnds", i, "id")) for p, smap, i in parsed.pnds), "PNDS")
    known_filieres = None if "filieres" in parsed.failed_kinds else filiere_ids
    known_centres = None if "centres" in parsed.failed_kinds else centre_ids
    known_pnds = None if "pnds" in parsed.failed_kinds else pnds_ids
    departements: dict[str, Departement] = {}
    regions: dict[str, Region] = {}
    if parsed.territories:
        territories, smap = parsed.territories
        region_ids = _unique(diags, ((r.code, smap, ("regions", i, "code"))
                                     for i, r in enumerate(territories.regions)), "région")
        regions = {r.code: r for r in territories.regions}
        _unique(diags, ((d.code, smap, ("departements", i, "code"))
                        for i, d in enumerate(territories.departements)), "département")
        departements = {d.code: d for d in territories.departements}
        for i, dep in enumerate(territories.departements):
            if dep.region not in region_ids:
                diags.append(smap.diag(("departements", i, "region"), "TERRITOIRE_INCONNU",
                                       f"région « {dep.region} » inconnue", suggestion=suggest(dep.region, region_ids)))

    network_ids = _unique(diags, ((n.id, smap, ("networks", i, "id")) for n, smap, i in parsed.networks), "réseau")
    networks = None if "centres" in parsed.failed_kinds else {n.id: n for n, _, _ in parsed.networks}
    for network, smap, i in parsed.networks:
        base = ("networks", i)
        _ref(diags, smap, base + ("filiere",), network.filiere, known_filieres, "FILIERE_INCONNUE", "filière")
        for j, pid in enumerate(network.pnds):
            _ref(diags, smap, base + ("pnds", j), pid, known_pnds, "PNDS_INCONNU", "PNDS")
    for centre, smap, i in parsed.centres:
        base = ("centres", i)
        filiere_known = _ref(diags, smap, base + ("filiere",), centre.filiere, known_filieres, "FILIERE_INCONNUE",
                             "filière")
        network_known = networks is not None and filiere_known and _ref(
            diags, smap, base + ("network",), centre.network, network_ids, "RESEAU_INCONNU", "réseau")
        if network_known and networks is not None and networks[centre.network].filiere != centre.filiere:
            diags.append(smap.diag(base + ("network",), "RESEAU_FILIERE",
                                   f"le réseau « {centre.network} » appartient à la filière "
                                   f"« {networks[centre.network].filiere} », pas à « {centre.filiere} »"))
        if departements:
            _ref(diags, smap, base + ("departement",), centre.departement, departements, "TERRITOIRE_INCONNU",
                 "département")
    for pnds, smap, i in parsed.pnds:
        for j, fid in enumerate(pnds.filieres):
            _ref(diags, smap, ("pnds", i, "filieres", j), fid, known_filieres, "FILIERE_INCONNUE", "filière")
        if pnds.year is None:
            diags.append(smap.diag(("pnds", i, "year") if ("pnds", i, "year") in smap.values else ("pnds", i, "id"),
                                   "PNDS_SANS_ANNEE", f"le PNDS « {pnds.id} » n'a pas d'année : donnez celle de la "
                                   "dernière version publiée (year), que le médecin voit à côté du lien",
                                   severity=PNDS_YEAR_SEVERITY))
    diags.extend(links.check_links(parsed, parsed.mirror_hosts))
    if parsed.resources:
        resources, smap = parsed.resources
        _unique(diags, ((r.id, smap, ("resources", i, "id")) for i, r in enumerate(resources.resources)), "ressource")
        if "{orpha}" not in resources.url_patterns.orphanet_disease:
            diags.append(smap.diag(("url_patterns", "orphanet_disease"), "URL_INVALIDE",
                                   "le modèle d'URL Orphanet doit contenir {orpha}"))
        for i, resource in enumerate(resources.resources):
            if (resource.url or resource.phone) and not resource.source:
                diags.append(smap.diag(("resources", i, "id"), "SOURCE_MANQUANTE",
                                       "une ressource qui donne un site ou un numéro cite sa source"))
            if resource.kind != "urgence" and not resource.url:
                diags.append(smap.diag(("resources", i, "id"), "CHAMP_MANQUANT", "une ressource donne son url"))
            for j, code in enumerate(resource.regions):
                if regions:
                    _ref(diags, smap, ("resources", i, "regions", j), code, regions, "TERRITOIRE_INCONNU", "région")

    urgences = None if parsed.resources is None else {
        r.id: r for r in parsed.resources[0].resources if r.kind == "urgence"}
    coordinated = {c.network for c, _, _ in parsed.centres if c.site_type == "crmr_coordonnateur"}
    refs = References(known_filieres, known_centres, known_pnds, set(departements), urgences, networks, coordinated)
    if parsed.orphanet is not None:
        diags.extend(orphanet.check_mapping(*parsed.orphanet, known_filieres, networks, today))
    key_ids = _unique(diags, ((k.id, smap, ("id",)) for k, smap, _ in parsed.keys), "clé")
    known_keys = key_ids | parsed.failed_keys
    layer = parsed.age_alerts[0] if parsed.age_alerts else None
    if parsed.age_alerts:
        layer_smap = parsed.age_alerts[1]
        for i, question in enumerate(layer.questions):  # type: ignore[union-attr]
            if not question.ages:
                diags.append(layer_smap.diag(("questions", i, "id"), "CHAMP_MANQUANT",
                                             "une question de alertes-age.yaml dit à quelles tranches d'âge elle "
                                             "s'applique (ages)"))
        diags.extend(check_key(age_alerts.as_key(layer), layer_smap, age_alerts.LAYER_ID, today, refs,  # type: ignore[arg-type]
                               cache=parsed.cache))
    for key, smap, stem in parsed.keys:
        diags.extend(check_key(key, smap, stem, today, refs, layer, parsed.cache))

    if known_pnds is not None and not parsed.failed_keys:
        diags.extend(_pnds_reach(parsed))

    scenario_ids: set[str] = set()
    covered: dict[str, set[str]] = {}
    keys_by_id = {k.id: age_alerts.compose(k, layer) for k, _, _ in parsed.keys}
    for scenario_file, smap in parsed.scenarios:
        if scenario_file.key not in known_keys:
            diags.append(smap.diag(("key",), "CLE_INCONNUE", f"clé « {scenario_file.key} » inconnue",
                                   suggestion=suggest(scenario_file.key, known_keys)))
            continue
        scenario_key = keys_by_id.get(scenario_file.key)
        for i, scenario in enumerate(scenario_file.scenarios):
            base = ("scenarios", i)
            if scenario.id in scenario_ids:
                diags.append(smap.diag(base + ("id",), "ID_DUPLIQUE", f"scénario « {scenario.id} » en double"))
            scenario_ids.add(scenario.id)
            if scenario_key is None:
                continue
            if scenario_key.outcome(scenario.expect) is None:
                diags.append(smap.diag(base + ("expect",), "ISSUE_INCONNUE",
                                       f"issue « {scenario.expect} » inconnue dans la clé « {scenario_key.id} »",
                                       suggestion=suggest(scenario.expect, [o.id for o in scenario_key.outcomes])))
            else:
                covered.setdefault(scenario_key.id, set()).add(scenario.expect)
            for qid, raw in scenario.answers.items():
                question = scenario_key.question(qid)
                if question is None:
                    diags.append(smap.diag(base + ("answers", qid), "QUESTION_INCONNUE",
                                           f"question « {qid} » inconnue dans la clé « {scenario_key.id} »",
                                           suggestion=suggest(qid, [q.id for q in scenario_key.questions]), key=True))
                    continue
                try:
                    engine.normalise(question, list(raw) if isinstance(raw, tuple) else raw, departements or None)
                except engine.InvalidAnswer as exc:
                    diags.append(smap.diag(base + ("answers", qid), "REPONSE_INVALIDE",
                                           f"réponse invalide à « {qid} » : {exc.message}",
                                           suggestion=suggest(str(raw), question.choice_ids)))
    for key, smap, _ in parsed.keys:
        for i, outcome in enumerate(key.outcomes):
            if outcome.action != "monitor" and outcome.id not in covered.get(key.id, set()):
                diags.append(smap.diag(("outcomes", i, "id"), "SCENARIO_MANQUANT",
                                       f"l'issue « {outcome.id} » oriente mais aucun scénario ne la vérifie",
                                       severity="avertissement"))
    return diags


def pnds_reached(keys: Iterable[Key]) -> set[str]:
    """The PNDS some outcome of these keys cites: those a GP reaches from a sign."""
    return {pid for key in keys for outcome in key.outcomes for pid in outcome.pnds}


def _pnds_reach(parsed: Parsed) -> list[Diagnostic]:
    """Every PNDS is reached from a sign or says why not (``search_only``); not both."""
    reached = pnds_reached(key for key, _, _ in parsed.keys)
    diags: list[Diagnostic] = []
    for pnds, smap, i in parsed.pnds:
        if pnds.id not in reached and not pnds.search_only:
            diags.append(smap.diag(("pnds", i, "id"), "PNDS_INACCESSIBLE",
                                   f"aucune issue ne cite le PNDS « {pnds.id} » : reliez-le à l'issue d'une "
                                   "clé où un médecin devrait le lire, ou dites pourquoi il ne s'atteint que "
                                   "par la recherche (search_only)", severity=PNDS_REACH_SEVERITY))
        elif pnds.id in reached and pnds.search_only:
            diags.append(smap.diag(("pnds", i, "search_only"), "PNDS_RECHERCHE_SEULE",
                                   f"le PNDS « {pnds.id} » est déclaré accessible par la seule recherche mais une "
                                   "issue le cite : retirez search_only", severity="avertissement"))
    return diags


def _unique(diags: list[Diagnostic], items: Iterable[tuple[str, SourceMap, tuple]], what: str) -> set[str]:
    seen: dict[str, tuple[SourceMap, tuple]] = {}
    for ident, smap, path in items:
        if ident in seen:
            first_map, first_path = seen[ident]
            line = first_map.at(first_path)[0]
            diags.append(smap.diag(path, "ID_DUPLIQUE",
                                   f"{what} « {ident} » en double (déjà dans {first_map.file}:{line})"))
        else:
            seen[ident] = (smap, path)
    return set(seen)


def _thresholds(diags: list[Diagnostic], smap: SourceMap, base: tuple, thresholds: tuple[Threshold, ...],
                shown: tuple[str, ...], key: Key) -> None:
    """A reference value is shown to a GP who compares a result with it: it says its unit, whom it
    applies to (age bands the question is asked in), and where it comes from."""
    if not thresholds:
        return
    cited = {s.url for s in key.sources}
    covered: dict[str, set[str]] = {}
    for j, threshold in enumerate(thresholds):
        path = base + ("thresholds", j)
        if not threshold.unit:
            diags.append(smap.diag(path + ("measure",), "SEUIL_SANS_UNITE",
                                   f"le seuil « {threshold.measure} » ne dit pas son unité (unit : mmol/L, UI/L, "
                                   "ms, g/dL…) : un chiffre sans unité ne se compare à rien"))
        population = threshold.population
        if population is None or not population.ages:
            diags.append(smap.diag(path + ("measure",), "SEUIL_SANS_POPULATION",
                                   f"le seuil « {threshold.measure} » ne dit pas à qui il s'applique (population : "
                                   "ages, et sex où la source donne des valeurs différentes)"))
        else:
            for k, band in enumerate(population.ages):
                if band not in shown:
                    diags.append(smap.diag(path + ("population", "ages", k), "SEUIL_AGE_HORS",
                                           f"tranche d'âge « {band} » : la question n'est pas posée à cet âge "
                                           f"(âges de la question ou de la clé : {', '.join(shown)})"))
            covered.setdefault(threshold.measure, set()).update(population.ages)
        # A source of its own (title, url, year) is checked for mirrors with every other link (links.py).
        if isinstance(threshold.source, str) and threshold.source not in cited:
            diags.append(smap.diag(path + ("source",), "SEUIL_SOURCE_INCONNUE",
                                   "la source d'un seuil est une URL des sources de la clé, ou une source "
                                   "complète (title, url, year)", suggestion=suggest(threshold.source, cited)))
    for measure, bands in covered.items():
        missing = [b for b in shown if b not in bands]
        if missing:
            diags.append(smap.diag(base + ("thresholds",), "SEUIL_AGE_MANQUANT",
                                   f"« {measure} » : aucune valeur de référence pour "
                                   + ", ".join(AGE_BANDS[b].split(" (")[0].lower() for b in missing)
                                   + " alors que la question leur est posée", severity="avertissement"))


def _outcome_networks(diags: list[Diagnostic], smap: SourceMap, base: tuple, outcome: Outcome,
                      refs: References) -> None:
    """A referring outcome names the networks that fit what it suspects (or says "any"): the
    nearest site of the filière may treat something else entirely."""
    if outcome.filiere is None or outcome.action in ("monitor", "emergency"):
        return
    if not outcome.networks:
        diags.append(smap.diag(base + ("filiere",), "RESEAU_MANQUANT",
                               "une issue qui oriente nomme les réseaux de centres de référence qui conviennent "
                               "(networks: [id…]) ou dit explicitement « networks: any » (tout site de la filière)"))
        return
    if outcome.networks == "any" or refs.networks is None:
        return
    for j, nid in enumerate(outcome.networks):
        path = base + ("networks", j)
        if not _ref(diags, smap, path, nid, refs.networks, "RESEAU_INCONNU", "réseau"):
            continue
        network = refs.networks[nid]
        if network.filiere != outcome.filiere:
            diags.append(smap.diag(path, "RESEAU_FILIERE", f"le réseau « {nid} » appartient à la filière "
                                   f"« {network.filiere} », pas à « {outcome.filiere} »"))
        elif nid not in refs.coordinated:
            diags.append(smap.diag(path, "RESEAU_SANS_COORDONNATEUR",
                                   f"le réseau « {nid} » est proposé au médecin mais son site coordonnateur "
                                   "n'est pas dans l'annuaire (rules/centres/)"))


def _ref(diags: list[Diagnostic], smap: SourceMap, path: tuple, value: str, known, code: str, what: str) -> bool:
    if known is None or value in known:  # None: the file listing them did not parse
        return True
    diags.append(smap.diag(path, code, f"{what} « {value} » inconnu(e)", suggestion=suggest(value, known)))
    return False


def _operator(leaf: AnswerCondition) -> str:
    if leaf.is_ is not None:
        return "is"
    if leaf.in_ is not None:
        return "in"
    if leaf.includes is not None:
        return "includes"
    if leaf.includes_any is not None:
        return "includes_any"
    return "numeric"


@dataclass(frozen=True)
class References:
    """The ids a key may cite; None where the file listing them did not parse."""

    filieres: set[str] | None
    centres: set[str] | None
    pnds: set[str] | None
    departements: set[str]
    urgences: dict[str, Resource] | None  # resources of kind "urgence", by id
    networks: dict[str, Network] | None = None
    coordinated: set[str] = field(default_factory=set)  # networks whose coordinating site is listed


# Words that tie a text to some age bands: a text shown outside them speaks to the wrong
# patient ("nourrisson" to a 12-year-old, school to an adult). Whole words, accents as written.
AGE_WORDS: tuple[tuple[str, frozenset[str], str], ...] = (
    (r"nourrissons?|bébés?|tétées?|téter|tète|biberons?", frozenset({"nouveau-ne", "nourrisson"}), "un nourrisson"),
    (r"nouveau-nés?", frozenset({"nouveau-ne", "nourrisson"}), "un nouveau-né"),
    (r"école|scolaires?|scolarité|maîtresse|instituteur|crèche", frozenset({"nourrisson", "enfant", "adolescent"}),
     "un enfant scolarisé"),
)
# One pass over each text (most name no age at all): a group per family of words. The lookahead on
# the words' first letters lets the regex engine skip to candidate positions instead of trying
# every alternative at every character (3x faster over the ~9,000 texts checked on each load).
_AGE_INITIALS = "".join(sorted({word[0] for pattern, _, _ in AGE_WORDS for word in pattern.split("|")}))
_AGE_RE = re.compile(f"(?=[{_AGE_INITIALS}])(?:" + "|".join(
    rf"\b(?P<w{i}>{pattern})\b" for i, (pattern, _, _) in enumerate(AGE_WORDS)) + ")", re.I)


def _age_text(diags: list[Diagnostic], smap: SourceMap, path: tuple, text: str | None, shown: frozenset[str]) -> None:
    if not text or not shown:
        return
    for match in _AGE_RE.finditer(text):
        _, bands, label = AGE_WORDS[int(match.lastgroup[1:])]  # type: ignore[index]
        if not shown <= bands:
            outside = ", ".join(AGE_BANDS[b].split(" (")[0].lower() for b in AGE_BANDS if b in shown - bands)
            diags.append(smap.diag(path, "TEXTE_AGE",
                                   f"« {match.group(0)} » s'adresse à {label}, mais ce texte est aussi montré pour : "
                                   f"{outside} ; restreignez ses tranches d'âge (ages, when) ou reformulez"))
            return


def _question_texts(question) -> list[tuple[tuple, str]]:
    """(path under the question, text) of every text the GP reads for a question."""
    texts: list[tuple[tuple, str]] = [((name,), getattr(question, name)) for name in ("text", "hint")
                                       if getattr(question, name)]
    texts += [(("hint_items", j), item) for j, item in enumerate(question.hint_items)]
    return texts + [(("options", j, "label"), o.label) for j, o in enumerate(question.options)]


def _outcome_texts(outcome) -> list[tuple[tuple, str]]:
    texts: list[tuple[tuple, str]] = [((name,), getattr(outcome, name)) for name in (
        "title", "rationale", "refer_if", "reevaluate_if", "safeguarding") if getattr(outcome, name)]
    texts += [((name, j), item) for name in ("do_now", "tests") for j, item in enumerate(getattr(outcome, name))]
    if outcome.red_flag is not None:
        texts += [(("red_flag", name), getattr(outcome.red_flag, name)) for name in ("check", "if_unchecked")]
    return texts


def bands_where(key: Key, cond: Condition | None) -> frozenset[str]:
    """The key's age bands for which ``cond`` can still be true (the age alone decides)."""
    if cond is None:
        return frozenset(key.ages)
    return frozenset(b for b in key.ages if engine.evaluate(key, cond, {AGE_QUESTION_ID: b}) is not False)


def check_key(key: Key, smap: SourceMap, stem: str, today: dt.date, refs: References,
              layer: AgeAlertLayer | None = None, cache: Cache = NO_CACHE) -> list[Diagnostic]:
    filieres, centres, pnds, departements = refs.filieres, refs.centres, refs.pnds, refs.departements
    diags: list[Diagnostic] = []
    if key.id != stem:
        diags.append(smap.diag(("id",), "ID_FICHIER", f"l'id « {key.id} » doit être le nom du fichier (« {stem} »)"))
    if not key.sources:
        declared = "sources" in smap.keys.get((), ()) or ("sources",) in smap.values
        diags.append(smap.diag(("sources",) if declared else ("id",),
                               "SOURCES_MANQUANTES", "la clé ne cite aucune source (title, url, year)"))
    if key.review_due < key.reviewed_on:
        diags.append(smap.diag(("review_due",), "DATES_REVISION", "review_due précède reviewed_on"))
    elif key.review_due < today:
        diags.append(smap.diag(("review_due",), "REVISION_DEPASSEE",
                               f"relecture attendue depuis le {key.review_due.strftime('%d/%m/%Y')}",
                               severity="avertissement"))

    order: dict[str, int] = {AGE_QUESTION_ID: -1}
    for i, question in enumerate(key.questions):
        base = ("questions", i)
        if question.id in order:
            diags.append(smap.diag(base + ("id",), "ID_DUPLIQUE", f"question « {question.id} » en double"))
        order.setdefault(question.id, i)
        option_ids = [o.id for o in question.options]
        for j, oid in enumerate(option_ids):
            if oid in option_ids[:j]:
                diags.append(smap.diag(base + ("options", j, "id"), "ID_DUPLIQUE", f"option « {oid} » en double"))
        # Options only on single/multiple (at least two), min/max/unit on every number and
        # nowhere else: each kind's fields say it (the JSON Schema too); the loader reports them
        # as OPTIONS_MANQUANTES, OPTIONS_INUTILES, BORNES_MANQUANTES (Question.FIELD_ERRORS).
        missing = missing_statements(question)
        if missing:
            diags.append(smap.diag(base + ("id",), "LETTRE_SANS_PHRASE",
                                   f"le courrier d'adressage n'a pas de phrase clinique pour : {', '.join(missing)} "
                                   "(letter_yes / letter_no, letter des options, letter_none, letter avec {valeur}) ; "
                                   "il écrira « question : réponse »", severity="avertissement"))
        if not question.offers_unknown:
            diags.append(smap.diag(base + ("options",), "INCONNU_MANQUANT",
                                   f"la question « {question.id} » n'offre pas de réponse « je ne sais pas » : ajoutez "
                                   f"l'option « {UNKNOWN} » (Je ne sais pas / non recherché / non fait)"))
        for j, oid in enumerate(option_ids):
            if oid in question.RESERVED_OPTIONS:
                diags.append(smap.diag(base + ("options", j, "id"), "OPTION_RESERVEE",
                                       f"l'option « {oid} » est ajoutée d'office aux questions à choix multiples "
                                       "(« aucun de ces signes », « je ne sais pas ») ; ne la déclarez pas"))
        for j, band in enumerate(question.ages):
            if band not in key.ages:
                diags.append(smap.diag(base + ("ages", j), "AGE_HORS_CLE",
                                       f"tranche d'âge « {band} » absente des âges de la clé"))
        if layer is not None and any(q.id == question.id for q in layer.questions):
            diags.append(smap.diag(base + ("id",), "ID_DUPLIQUE",
                                   f"question « {question.id} » déjà déclarée dans alertes-age.yaml"))
        shown_bands = question.ages or key.ages
        _thresholds(diags, smap, base, question.thresholds, shown_bands, key)
        for j, option in enumerate(question.options):
            _thresholds(diags, smap, base + ("options", j), option.thresholds, shown_bands, key)

    questions = {q.id: q for q in key.questions}
    all_ids = list(questions) + [AGE_QUESTION_ID]

    def check_condition(cond: Condition, path: tuple, before: int | None) -> None:
        for leaf, leaf_path in cond.located_leaves(path):  # paths in the authors' spelling: is, in, not...
            question = key.question(leaf.answer)
            if question is None:
                diags.append(smap.diag(leaf_path + ("answer",), "QUESTION_INCONNUE",
                                       f"question « {leaf.answer} » inconnue",
                                       suggestion=suggest(leaf.answer, all_ids)))
                continue
            if before is not None and order.get(leaf.answer, -1) >= before:
                diags.append(smap.diag(leaf_path + ("answer",), "ASK_WHEN_ORDRE",
                                       f"ask_when cite « {leaf.answer} », qui n'est pas déclarée avant cette question"))
            op = _operator(leaf)
            if op not in question.OPERATORS:
                allowed = ", ".join(o if o != "numeric" else "lt/le/gt/ge" for o in question.OPERATORS)
                diags.append(smap.diag(leaf_path, "OPERATEUR_INCOMPATIBLE",
                                       f"l'opérateur « {op if op != 'numeric' else 'lt/le/gt/ge'} » ne convient pas "
                                       f"à une question « {question.kind} » (possibles : {allowed})"))
                continue
            field_name = {"is": "is", "in": "in", "includes": "includes", "includes_any": "includes_any"}.get(op)
            if field_name is None:
                continue
            for j, value in enumerate(leaf.values):
                value_path = leaf_path + (field_name,) + ((j,) if field_name in ("in", "includes_any") else ())
                known = question.known_values(departements)
                if known is not None and value not in known:
                    code, message = question.unknown_value(value)
                    diags.append(smap.diag(value_path, code, message, suggestion=suggest(value, known)))

    for i, question in enumerate(key.questions):
        if question.ask_when is not None:
            check_condition(question.ask_when, ("questions", i, "ask_when"), before=i)

    outcome_ids: set[str] = set()
    last = len(key.outcomes) - 1
    for i, outcome in enumerate(key.outcomes):
        base = ("outcomes", i)
        if outcome.id in outcome_ids:
            diags.append(smap.diag(base + ("id",), "ID_DUPLIQUE", f"issue « {outcome.id} » en double"))
        outcome_ids.add(outcome.id)
        if outcome.when is not None:
            check_condition(outcome.when, base + ("when",), before=None)
        if outcome.default and (i != last or outcome.when is not None):
            diags.append(smap.diag(base + ("default",), "DEFAUT_MAL_PLACE",
                                   "l'issue par défaut est la dernière et n'a pas de « when »"))
        if not outcome.default and outcome.when is None:
            diags.append(smap.diag(base + ("id",), "CONDITION_MANQUANTE",
                                   "une issue qui n'est pas l'issue par défaut demande une condition « when »"))
        if outcome.filiere is None and outcome.action not in ("monitor", "emergency"):
            diags.append(smap.diag(base + ("action",), "FILIERE_MANQUANTE",
                                   "une issue qui oriente doit nommer sa filière"))
        elif outcome.filiere is not None:
            _ref(diags, smap, base + ("filiere",), outcome.filiere, filieres, "FILIERE_INCONNUE", "filière")
        if outcome.action not in ("monitor", "emergency") and not outcome.centre_types:
            diags.append(smap.diag(base + ("action",), "CHAMP_MANQUANT",
                                   "une issue qui oriente doit donner des centre_types"))
        if outcome.action == "emergency":
            if not outcome.emergency_route:
                diags.append(smap.diag(base + ("action",), "ROUTE_URGENCE_MANQUANTE",
                                       "une urgence doit nommer où aller (emergency_route : samu, urgences…)"))
            for field_name in ("centres", "centre_types", "networks"):
                if getattr(outcome, field_name):
                    diags.append(smap.diag(base + (field_name,), "URGENCE_CENTRES",
                                           "une urgence envoie vers les soins d'urgence, pas vers des centres "
                                           f"experts : retirez « {field_name} » (la filière reste affichée pour "
                                           "la suite)"))
        elif outcome.emergency_route:
            diags.append(smap.diag(base + ("emergency_route",), "ROUTE_URGENCE_INUTILE",
                                   "emergency_route ne sert qu'aux issues « emergency »"))
        for j, rid in enumerate(outcome.emergency_route):
            _ref(diags, smap, base + ("emergency_route", j), rid, refs.urgences, "RESSOURCE_INCONNUE",
                 "ressource d'urgence")
        if outcome.action == "monitor" and outcome.when is not None and any(
                UNKNOWN in leaf.values for leaf in iter_leaves(outcome.when)):
            diags.append(smap.diag(base + ("when",), "RASSURANCE_SUR_INCONNU",
                                   "une issue rassurante (monitor) ne peut pas être retenue sur une réponse "
                                   "« je ne sais pas » : une inconnue ne rassure jamais"))
        if outcome.urgency == "urgence" and outcome.red_flag is None:
            diags.append(smap.diag(base + ("urgency",), "DRAPEAU_ROUGE_MANQUANT",
                                   "une issue « urgence » est un signe d'alerte : donnez red_flag (check : quoi "
                                   "vérifier aujourd'hui et comment ; if_unchecked : que faire si c'est impossible)"))
        if layer is not None and any(o.id == outcome.id for o in layer.outcomes):
            diags.append(smap.diag(base + ("id",), "ID_DUPLIQUE",
                                   f"issue « {outcome.id} » déjà déclarée dans alertes-age.yaml"))
        if outcome.action == "test_then_refer" and not outcome.refer_if:
            diags.append(smap.diag(base + ("action",), "CHAMP_MANQUANT",
                                   "« test_then_refer » demande refer_if (quand adresser après les examens)"))
        if outcome.action == "test_then_refer" and not outcome.tests:
            diags.append(smap.diag(base + ("action",), "CHAMP_MANQUANT", "« test_then_refer » demande des tests"))
        if outcome.action == "monitor" and not outcome.reevaluate_if:
            diags.append(smap.diag(base + ("action",), "CHAMP_MANQUANT",
                                   "« monitor » demande reevaluate_if (quand réévaluer)"))
        if outcome.action == "emergency" and outcome.urgency != "urgence":
            diags.append(smap.diag(base + ("urgency",), "URGENCE_INCOHERENTE",
                                   "une issue « emergency » a l'urgence « urgence »"))
        for j, cid in enumerate(outcome.centres):
            _ref(diags, smap, base + ("centres", j), cid, centres, "CENTRE_INCONNU", "centre")
        _outcome_networks(diags, smap, base, outcome, refs)
        for j, pid in enumerate(outcome.pnds):
            _ref(diags, smap, base + ("pnds", j), pid, pnds, "PNDS_INCONNU", "PNDS")
    if not key.outcomes[-1].default:
        diags.append(smap.diag(("outcomes", last), "DEFAUT_MANQUANT",
                               "la dernière issue doit être l'issue par défaut (default: true, sans when)"))

    if any(d.is_error for d in diags):
        return diags  # graph analysis needs a well-formed key
    diags.extend(_unused_options(key, smap, layer))
    # The key as the engine walks it, ages folded in. The age-band layer is left out here: it is
    # checked on its own (its outcomes hang on its questions only), and exploring it in front of
    # every key would multiply the paths to explore for nothing.
    key = age_alerts.compose(key, None)  # same questions and outcomes, in the same order
    items = [(("questions", i), q.ask_when, _question_texts(q)) for i, q in enumerate(key.questions)]
    items += [(("outcomes", i), o.when, _outcome_texts(o)) for i, o in enumerate(key.outcomes)]
    for base, cond, texts in items:
        if not any(_AGE_RE.search(text) for _, text in texts):
            continue  # most texts name no age: no need to work out where they are shown
        shown = bands_where(key, cond)
        for where, text in texts:
            _age_text(diags, smap, base + where, text, shown)
    for i, outcome in enumerate(key.outcomes):
        if outcome.action == "emergency" and outcome.emergency_route and refs.urgences is not None:
            places = [refs.urgences[r] for r in outcome.emergency_route if r in refs.urgences]
            stranded = [b for b in bands_where(key, outcome.when) if not any(p.serves(b) for p in places)]
            if places and stranded:
                diags.append(smap.diag(("outcomes", i, "emergency_route"), "ROUTE_URGENCE_AGE",
                                       "aucune destination de cette urgence n'accueille : " + ", ".join(
                                           AGE_BANDS[b].split(" (")[0].lower() for b in stranded)))
    result = _exploration(key, smap.address, cache)
    if not result.complete:
        diags.append(smap.diag(("questions",), "ANALYSE_INCOMPLETE",
                               f"clé trop combinatoire pour être explorée entièrement ({result.nodes} états)",
                               severity="avertissement"))
        return diags
    for i, question in enumerate(key.questions):
        if question.id not in result.questions:
            diags.append(smap.diag(("questions", i, "id"), "QUESTION_INATTEIGNABLE",
                                   f"la question « {question.id} » n'est jamais posée : aucune issue n'en dépend, "
                                   "ou son ask_when ne peut pas être vrai"))
    for i, outcome in enumerate(key.outcomes):
        if outcome.id not in result.outcomes:
            diags.append(smap.diag(("outcomes", i, "id"), "ISSUE_IMPOSSIBLE",
                                   f"l'issue « {outcome.id} » ne peut jamais être retenue (condition impossible "
                                   "ou masquée par une issue précédente)"))
    return diags


def _exploration(key: Key, address: str, cache: Cache) -> engine.Exploration:
    """engine.explore, read from the cache when this key's file was explored before.

    The key explored is derived from its file alone (``age_alerts.compose(key, None)`` adds no
    layer), so the file's address plus the code fingerprint that every address holds identify
    the result; a key built otherwise (no address) is always explored."""
    if not address:
        return engine.explore(key)
    entry = cache.address("exploration", address.encode())

    def rebuild(cached: Any) -> engine.Exploration:
        outcomes, questions, complete, nodes = cached
        return engine.Exploration(frozenset(outcomes), frozenset(questions), bool(complete), int(nodes))

    cached = cache.get(entry, rebuild)
    if cached is not None:
        return cached
    result = engine.explore(key)
    cache.put(entry, (sorted(result.outcomes), sorted(result.questions), result.complete, result.nodes))
    return result


def _unused_options(key: Key, smap: SourceMap, layer: AgeAlertLayer | None) -> list[Diagnostic]:
    """OPTION_INUTILE: an option that choosing can never change the result, on a question that a
    reassuring or referring result depends on. The engine reads an answer only through the leaf
    tests on its question (outcomes' ``when``, questions' ``ask_when``; red flags and the unchecked
    list read the same ``when``), so two answers that every one of these tests finds alike lead
    everywhere alike: a multiple-choice option is unused when ticking it changes no test (no
    condition names it), a single-choice option when it tests like an option declared before it
    (say, two options no condition names). Yes/no questions (three fixed answers) and "je ne sais
    pas" (an answer with its own meaning) are left out."""
    outcomes = [*key.outcomes, *(layer.outcomes if layer else ())]
    questions = [*key.questions, *(layer.questions if layer else ())]
    by_id = {q.id: q for q in questions}
    leaves: dict[str, list] = {}
    for cond in [o.when for o in outcomes] + [q.ask_when for q in questions]:
        for leaf in iter_leaves(cond) if cond is not None else ():
            leaves.setdefault(leaf.answer, []).append(leaf)
    # The questions a reassuring or referring result depends on: those read by the condition of an
    # outcome the walk tries before (or as) a non-emergency one, and those their ask_when reads.
    last = max((i for i, o in enumerate(key.outcomes) if o.action != "emergency"), default=-1)
    decisive: set[str] = set()
    frontier = [leaf.answer for o in key.outcomes[:last + 1] if o.when is not None for leaf in iter_leaves(o.when)]
    while frontier:
        qid = frontier.pop()
        if qid in decisive:
            continue
        decisive.add(qid)
        ask_when = by_id[qid].ask_when if qid in by_id else None
        if ask_when is not None:
            frontier.extend(leaf.answer for leaf in iter_leaves(ask_when))
    diags = []
    for i, question in enumerate(key.questions):
        if question.id not in decisive:
            continue
        tests = [leaf.test_value for leaf in leaves.get(question.id, [])]

        def signature(value: Value, tests: list = tests) -> tuple:
            return tuple(test(value) for test in tests)

        for j, option, same in question.redundant_options(signature):
            diags.append(smap.diag(("questions", i, "options", j, "id"), "OPTION_INUTILE",
                                   f"l'option « {option.id} » de « {question.id} » compte exactement comme "
                                   f"{same} pour toutes les conditions de la clé : la choisir ne change jamais "
                                   "le résultat ; faites-la compter dans une condition, ou retirez-la",
                                   severity="avertissement"))
    return diags


__all__ = ["AGE_BANDS", "YES_NO", "Parsed", "Resource", "bands_where", "check", "check_key"]
