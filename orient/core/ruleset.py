"""Load a rules directory into one frozen RuleSet, or refuse with every diagnostic.

The data flow: files -> loader (positions kept) -> model -> checks -> RuleSet. A RuleSet is
built only when no error exists: the app never serves a half-loaded rule set.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

from orient.core import age_alerts, orphanet
from orient.core.cache import NO_CACHE, Cache
from orient.core.checks import Parsed, check
from orient.core.diagnostics import Diagnostic, RuleSetError, sorted_diagnostics
from orient.core.loader import parse_model, read_document
from orient.core.model import (
    FILE_MODELS,
    MIRROR_HOSTS,
    AgeAlertLayer,
    Centre,
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
    Scenario,
    Source,
    UrlPatterns,
)
from orient.resources import resource_dir
from orient.services.nomenclature import Nomenclature

REQUIRED_FILES = ("meta.yaml", "filieres.yaml", "pnds.yaml", "resources.yaml", "territories.yaml")
# Optional root files, with the kind of document each holds.
OPTIONAL_FILES = {"alertes-age.yaml": "age_alerts", "mirrors.yaml": "mirrors",
                  "orphanet-filieres.yaml": "orphanet_filieres"}
FOLDERS = {"keys": "key", "centres": "centres", "scenarios": "scenarios"}


def default_rules_dir() -> Path:
    """``$ORIENT_RULES``, else the rules shipped with orient (inside the installed package, or
    the ``rules/`` folder of a source checkout: resources.py), else ``./rules``."""
    env = os.environ.get("ORIENT_RULES")
    if env:
        return Path(env)
    shipped = resource_dir("rules")
    return shipped if shipped.is_dir() else Path("rules")


# eq=False: a RuleSet is identified by identity (hashable, cheap to cache on).
@dataclass(frozen=True, eq=False)
class RuleSet:
    meta: Meta
    version: str
    filieres: Mapping[str, Filiere]
    centres: Mapping[str, Centre]
    networks: Mapping[str, Network]
    keys: Mapping[str, Key]
    pnds: Mapping[str, Pnds]
    resources: Mapping[str, Resource]
    url_patterns: UrlPatterns
    regions: Mapping[str, Region]
    departements: Mapping[str, Departement]
    scenarios: Mapping[str, tuple[Scenario, ...]]  # by key id
    warnings: tuple[Diagnostic, ...]
    # The shared age-band red flags, already composed into every key; kept for their sources.
    age_alerts: AgeAlertLayer | None = None
    # Document-sharing sites and proxies that no link may go through (rules/mirrors.yaml).
    mirror_hosts: tuple[str, ...] = MIRROR_HOSTS
    # Which filière(s) cover which Orphanet classification heads, groups and diseases (orphanet.py).
    orphanet: OrphanetMapping | None = None

    def sources_for(self, key: Key, outcome: Outcome) -> tuple[Source, ...]:
        """The sources behind an outcome: the age-band layer's for its red flags, else the key's."""
        layer = self.age_alerts
        if layer is not None and any(o is outcome for o in layer.outcomes):
            return layer.sources
        return key.sources

    @cached_property
    def networks_for_pnds(self) -> Mapping[str, tuple[Network, ...]]:
        """The networks that cover each PNDS (as the networks declare it): a disease found by
        name lands on its network, not on the nearest site of its filière."""
        index: dict[str, list[Network]] = {}
        for network in self.networks.values():
            for pid in network.pnds:
                index.setdefault(pid, []).append(network)
        return MappingProxyType({pid: tuple(nets) for pid, nets in index.items()})

    @cached_property
    def departements_in_order(self) -> tuple[Departement, ...]:
        """Every list of départements (forms, API, FHIR, directory filters) in one order."""
        return tuple(sorted(self.departements.values(), key=lambda d: d.order))

    @cached_property
    def filieres_by_acronym(self) -> tuple[Filiere, ...]:
        return tuple(sorted(self.filieres.values(), key=lambda f: f.acronym.lower()))

    @cached_property
    def departement_names(self) -> Mapping[str, str]:
        """Code -> name, for answers read back in words."""
        return MappingProxyType({code: d.name for code, d in self.departements.items()})

    def orphanet_url(self, orpha: int) -> str:
        return self.url_patterns.orphanet_disease.replace("{orpha}", str(orpha))


def _display(path: Path, cwd: Path | None = None) -> str:
    """The path as diagnostics print it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(cwd or Path.cwd().resolve()))
    except ValueError:
        return str(path)


def discover(directory: Path) -> tuple[list[tuple[str, Path]], list[Diagnostic]]:
    """The rule files to read, each with the kind of document it holds."""
    files: list[tuple[str, Path]] = []
    diags: list[Diagnostic] = []
    if not directory.is_dir():
        return [], [Diagnostic(_display(directory), 1, 1, "erreur", "DOSSIER_INTROUVABLE",
                               "dossier de règles introuvable")]
    for name in REQUIRED_FILES:
        path = directory / name
        if path.is_file():
            files.append((name.removesuffix(".yaml"), path))
        else:
            diags.append(Diagnostic(_display(path), 1, 1, "erreur", "FICHIER_MANQUANT",
                                    f"fichier obligatoire « {name} » absent"))
    for name, kind in OPTIONAL_FILES.items():
        if (directory / name).is_file():
            files.append((kind, directory / name))
    for folder, kind in FOLDERS.items():
        for path in sorted((directory / folder).glob("*.y*ml")):
            files.append((kind, path))
    for path in sorted(directory.glob("*.y*ml")):
        if path.name not in REQUIRED_FILES and path.name not in OPTIONAL_FILES:
            diags.append(Diagnostic(_display(path), 1, 1, "avertissement", "FICHIER_INCONNU",
                                    "fichier ignoré : ni une clé, ni un fichier de référence connu"))
    return files, diags


def parse_directory(directory: Path, cache: Cache = NO_CACHE) -> tuple[Parsed, list[Diagnostic], str]:
    files, diags = discover(directory)
    parsed = Parsed(cache=cache)
    parsed.failed_kinds.update(name.removesuffix(".yaml") for name in REQUIRED_FILES
                               if not (directory / name).is_file())
    digest = hashlib.sha256()
    cwd = Path.cwd().resolve()
    for kind, path in files:
        document = read_document(path, _display(path, cwd), cache)
        digest.update(path.name.encode() + b"\0" + document.content)
        diags.extend(document.diagnostics)
        obj, problems = parse_model(document, FILE_MODELS[kind][0])
        diags.extend(problems)
        smap = document.source_map
        if obj is None:
            if kind == "key":
                parsed.failed_keys.add(path.stem)
            else:
                parsed.failed_kinds.add(kind)
            continue
        if kind == "key":
            parsed.keys.append((obj, smap, path.stem))
        elif kind == "age_alerts":
            parsed.age_alerts = (obj, smap)
        elif kind == "mirrors":
            parsed.mirrors = (obj, smap)
        elif kind == "orphanet_filieres":
            parsed.orphanet = (obj, smap)
        elif kind == "scenarios":
            parsed.scenarios.append((obj, smap))
        elif kind == "centres":
            parsed.centres.extend((c, smap, i) for i, c in enumerate(obj.centres))
            parsed.networks.extend((n, smap, i) for i, n in enumerate(obj.networks))
        elif kind == "filieres":
            parsed.filieres.extend((f, smap, i) for i, f in enumerate(obj.filieres))
        elif kind == "pnds":
            parsed.pnds.extend((p, smap, i) for i, p in enumerate(obj.pnds))
        elif kind == "resources":
            parsed.resources = (obj, smap)
        elif kind == "territories":
            parsed.territories = (obj, smap)
        elif kind == "meta":
            parsed.meta = (obj, smap)
    return parsed, diags, digest.hexdigest()[:8]


def load(directory: Path | str | None = None, today: dt.date | None = None,
         nomenclature: Nomenclature | None = None,
         cache: Cache | None = None) -> tuple[RuleSet | None, list[Diagnostic]]:
    """Read, validate and check a rules directory. The RuleSet is None when any error exists.
    With an Orphanet nomenclature, the filière mapping is also checked against it. ``cache``
    (default: the user's, ``$ORIENT_CACHE``) only saves work: results are the same without it."""
    directory = Path(directory) if directory is not None else default_rules_dir()
    cache = cache if cache is not None else Cache.from_environment()
    # Loading allocates about a million objects in one burst (YAML nodes, then the models) and
    # frees almost none of them until it ends: the cyclic collector's passes over that growing
    # heap are pure cost (about a fifth of the load, bench/engine.py). Paused, not tuned; restored
    # as it was, whatever happens.
    collecting = gc.isenabled()
    gc.disable()
    try:
        parsed, diags, digest = parse_directory(directory, cache)
        diags = diags + check(parsed, today)
    finally:
        if collecting:
            # Re-enabled as is, the collector's first pass would walk that whole burst at once
            # (the young generation's count kept growing while paused): about 40 ms of a load.
            # freeze() then unfreeze() files everything alive as old (public API, documented to
            # put the objects "back into the oldest generation"), which is what they are: the
            # rule set lives as long as the process; whatever is garbage is collected by the
            # next full pass.
            gc.freeze()
            gc.unfreeze()
            gc.enable()
    if nomenclature is not None and parsed.orphanet is not None:
        diags += orphanet.check_against(parsed.orphanet[0], parsed.orphanet[1], nomenclature)
    diags = sorted_diagnostics(diags)
    if any(d.is_error for d in diags) or parsed.meta is None or parsed.resources is None or parsed.territories is None:
        return None, diags
    meta = parsed.meta[0]
    resources, _ = parsed.resources
    territories, _ = parsed.territories
    scenarios: dict[str, tuple[Scenario, ...]] = {}
    for scenario_file, _ in parsed.scenarios:
        scenarios[scenario_file.key] = scenarios.get(scenario_file.key, ()) + scenario_file.scenarios
    layer = parsed.age_alerts[0] if parsed.age_alerts else None
    keys = sorted((age_alerts.compose(k, layer) for k, _, _ in parsed.keys), key=lambda k: k.title)
    for key in keys:
        shared = age_alerts.scenarios_for(key, layer)
        if shared:
            scenarios[key.id] = scenarios.get(key.id, ()) + shared
    ruleset = RuleSet(
        meta=meta,
        version=f"{meta.version} ({digest})",
        filieres=MappingProxyType({f.id: f for f, _, _ in parsed.filieres}),
        centres=MappingProxyType({c.id: c for c, _, _ in parsed.centres}),
        networks=MappingProxyType({n.id: n for n, _, _ in parsed.networks}),
        keys=MappingProxyType({k.id: k for k in keys}),
        pnds=MappingProxyType({p.id: p for p, _, _ in parsed.pnds}),
        resources=MappingProxyType({r.id: r for r in resources.resources}),
        url_patterns=resources.url_patterns,
        regions=MappingProxyType({r.code: r for r in territories.regions}),
        departements=MappingProxyType({d.code: d for d in territories.departements}),
        scenarios=MappingProxyType(scenarios),
        warnings=tuple(diags),
        age_alerts=layer,
        mirror_hosts=parsed.mirror_hosts,
        orphanet=parsed.orphanet[0] if parsed.orphanet else None,
    )
    return ruleset, diags


def load_or_raise(directory: Path | str | None = None, today: dt.date | None = None,
                  nomenclature: Nomenclature | None = None) -> RuleSet:
    ruleset, diags = load(directory, today, nomenclature)
    if ruleset is None:
        raise RuleSetError(diags)
    return ruleset
