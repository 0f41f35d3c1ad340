"""Import the official list of expert sites from CSV into rules/centres/*.yaml.

Every row is validated (the same pydantic model and references as ``orient check``);
rejected rows are reported with their line number and reason; accepted rows are merged
without duplicates (same id, or same filière + network + hospital + city: the imported row
wins); each file is written atomically (temporary file, then rename), so a crash never
leaves half a file.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from orient.core.model import Centre, Network
from orient.core.ruleset import RuleSet
from orient.services.search import normalise_text
from orient.services.territory import departement_from_postcode

COLUMNS = ("id", "filiere", "network", "site_type", "hospital", "service", "city", "departement", "postcode",
           "population", "phone", "web", "contact_url", "source", "seen_year")
REQUIRED = ("filiere", "network", "site_type", "city", "source")
HEADER = "# yaml-language-server: $schema=../../schema/centres.schema.json\n"
_FIELD_FR = {"filiere": "filière", "network": "réseau", "site_type": "type de site", "city": "ville",
             "departement": "département", "source": "source", "population": "population", "web": "site web",
             "seen_year": "année", "id": "identifiant", "phone": "téléphone", "hospital": "établissement",
             "service": "service", "contact_url": "page de contact"}


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    written: list[Path] = field(default_factory=list)


def _slug(text: str) -> str:
    return re.sub(r"-+", "-", normalise_text(text).replace(" ", "-")).strip("-")[:60]


def _identity(centre: Centre) -> tuple[str, str, str, str]:
    return (centre.filiere, normalise_text(centre.network), normalise_text(centre.hospital or ""),
            normalise_text(centre.city))


def parse_rows(text: str, ruleset: RuleSet, report: ImportReport) -> list[Centre]:
    reader = csv.DictReader(io.StringIO(text), delimiter=_sniff_delimiter(text))
    unknown = [c for c in (reader.fieldnames or []) if c not in COLUMNS]
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing or unknown:
        problems = []
        if missing:
            problems.append("colonnes obligatoires absentes : " + ", ".join(missing))
        if unknown:
            problems.append("colonnes inconnues : " + ", ".join(unknown))
        report.rejected.append((1, " ; ".join(problems)))
        return []
    centres: list[Centre] = []
    seen_ids: set[str] = set()
    for row in reader:
        line = reader.line_num
        data = {k: (v or "").strip() for k, v in row.items() if k in COLUMNS}
        data = {k: v for k, v in data.items() if v}
        postcode = data.pop("postcode", None)
        if "departement" not in data and postcode:
            dep = departement_from_postcode(postcode)
            if dep is None:
                report.rejected.append((line, f"code postal « {postcode} » non reconnu"))
                continue
            data["departement"] = dep
        if "departement" not in data:
            report.rejected.append((line, "département ou code postal manquant"))
            continue
        if data.get("filiere") not in ruleset.filieres:
            report.rejected.append((line, f"filière « {data.get('filiere', '')} » inconnue"))
            continue
        if data["departement"] not in ruleset.departements:
            report.rejected.append((line, f"département « {data['departement']} » inconnu"))
            continue
        network = _network_id(data["network"], data["filiere"], ruleset)
        if network is None:
            report.rejected.append((line, f"réseau « {data['network']} » inconnu dans la filière {data['filiere']} : "
                                          "déclarez-le d'abord dans rules/centres/ (networks)"))
            continue
        data["network"] = network
        if "id" not in data:
            data["id"] = _slug(f"{data['filiere']} {data['network']} {data.get('hospital', '')} {data['city']}")
        try:
            centre = Centre.model_validate(data)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            name = _FIELD_FR.get(str(first["loc"][0]) if first["loc"] else "", "ligne")
            report.rejected.append((line, f"{name} invalide ({first['type']}) : « {first.get('input', '')} »"))
            continue
        if centre.id in seen_ids:
            report.rejected.append((line, f"identifiant « {centre.id} » déjà présent plus haut dans le fichier"))
            continue
        seen_ids.add(centre.id)
        centres.append(centre)
    return centres


def _network_id(value: str, filiere: str, ruleset: RuleSet) -> str | None:
    """A network given by its id, its acronym or its name (official lists print names)."""
    wanted = normalise_text(value)
    for network in ruleset.networks.values():
        if network.filiere != filiere:
            continue
        if value == network.id or wanted in (normalise_text(network.name), normalise_text(network.acronym or "")):
            return network.id
    return None


def _sniff_delimiter(text: str) -> str:
    first = text.splitlines()[0] if text else ""
    return ";" if first.count(";") > first.count(",") else ","


def merge(existing: dict[str, Centre], incoming: list[Centre], report: ImportReport) -> dict[str, Centre]:
    merged = dict(existing)
    by_identity = {_identity(c): c.id for c in existing.values()}
    for centre in incoming:
        target = centre.id if centre.id in merged else by_identity.get(_identity(centre))
        if target is not None:
            merged[target] = centre.model_copy(update={"id": target})
            report.updated.append(target)
        else:
            merged[centre.id] = centre
            by_identity[_identity(centre)] = centre.id
            report.added.append(centre.id)
    return merged


def _dump(networks: list[Network], centres: list[Centre]) -> str:
    records = [c.model_dump(exclude_none=True, exclude_defaults=False) for c in centres]
    nets = [n.model_dump(exclude_none=True, exclude_defaults=True) for n in networks]
    body = yaml.safe_dump({"networks": nets, "centres": records}, allow_unicode=True, sort_keys=False, width=110)
    return HEADER + body


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def import_centres(csv_path: Path, rules_dir: Path, ruleset: RuleSet, *, dry_run: bool = False) -> ImportReport:
    report = ImportReport()
    text = csv_path.read_text(encoding="utf-8-sig")
    incoming = parse_rows(text, ruleset, report)
    merged = merge(dict(ruleset.centres), incoming, report)
    changed = {c.filiere for c in incoming}
    if dry_run or not incoming:
        return report
    for filiere in sorted(changed):
        centres = sorted((c for c in merged.values() if c.filiere == filiere), key=lambda c: c.id)
        path = rules_dir / "centres" / f"{filiere}.yaml"
        networks = [n for n in ruleset.networks.values() if n.filiere == filiere]
        write_atomic(path, _dump(networks, centres))
        report.written.append(path)
    return report
