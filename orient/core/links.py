"""Every external link in the rules: where it is, who serves it, and whether a GP can trust it.

Two users: ``orient check`` (no link of ``rules/`` may go through a document-sharing mirror or an
SEO proxy: SOURCE_MIROIR) and ``orient links``, the report a reviewer reads to see the whole
picture (every URL by host, mirrors marked, and where the PNDS links lead).

Links are found in the parsed models themselves, not by scanning the text: every string value
that is an http(s) URL, wherever the model keeps it (sources, websites, PNDS, thresholds...), with
its path in the YAML, so that a new URL field is checked without anyone remembering to add it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import BaseModel

from orient.core.diagnostics import Diagnostic
from orient.core.loader import SourceMap
from orient.core.model import MIRROR_HOSTS, MirrorFile, Pnds, mirror_host

if TYPE_CHECKING:  # pragma: no cover
    from orient.core.checks import Parsed

MirrorSource = tuple[MirrorFile, SourceMap]
HAS_HOST = "has-sante.fr"
# Where a PNDS link leads, in the order the report gives them.
PNDS_CLASSES = {
    "has": "sur has-sante.fr",
    "filiere": "sur le site d'une filière ou d'un centre",
    "fallback": "page d'accès (PNDS introuvable chez l'éditeur : fallback)",
    "miroir": "copie sur un site de partage ou un proxy",
    "autre": "autre site (association, revue, société savante…)",
}


def mirror_hosts(mirrors: MirrorSource | None) -> tuple[str, ...]:
    """The mirrors no link may go through: rules/mirrors.yaml, else the default list."""
    return mirrors[0].hosts if mirrors else MIRROR_HOSTS


def _dump(model: BaseModel) -> Any:
    # exclude_unset: only what the author wrote, so that every path exists in the source map.
    return model.model_dump(by_alias=True, exclude_unset=True, mode="python")


def urls_in(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """Every http(s) URL in a dumped model, with its path (the YAML's keys and indices), in the
    order of the document. A path is built only for a URL or a container: the rules hold some
    45,000 values and 2,000 URLs, and this runs on every load."""
    if isinstance(value, BaseModel):
        value = _dump(value)
    if isinstance(value, str):
        if value.startswith(_SCHEMES):
            yield path, value
        return
    # Depth first with a stack of iterators, so that URLs come out in the document's order.
    stack: list[tuple[Iterator[tuple[Any, Any]], tuple]] = [(_items(value), path)]
    while stack:
        items, where = stack[-1]
        for k, v in items:
            if isinstance(v, str):
                if v.startswith(_SCHEMES):
                    yield (*where, k), v
            elif isinstance(v, (dict, list, tuple, BaseModel)):
                stack.append((_items(_dump(v) if isinstance(v, BaseModel) else v), (*where, k)))
                break
        else:
            stack.pop()


def _items(container: Any) -> Iterator[tuple[Any, Any]]:
    if isinstance(container, dict):
        return iter(container.items())
    if isinstance(container, (list, tuple)):
        return enumerate(container)
    return iter(())


_SCHEMES = ("http://", "https://")


def host_of(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


@dataclass(frozen=True)
class Link:
    file: str
    line: int
    url: str
    host: str
    mirror: bool
    kind: str  # "pnds", "cle", "filiere", "centre", "ressource", "autre"


def documents(parsed: Parsed) -> Iterator[tuple[SourceMap, tuple, Any, str]]:
    """(source map, base path, model, kind) of every parsed rule object that may hold links."""
    for filiere, smap, i in parsed.filieres:
        yield smap, ("filieres", i), filiere, "filiere"
    for network, smap, i in parsed.networks:
        yield smap, ("networks", i), network, "centre"
    for centre, smap, i in parsed.centres:
        yield smap, ("centres", i), centre, "centre"
    for key, smap, _ in parsed.keys:
        yield smap, (), key, "cle"
    if parsed.age_alerts:
        yield parsed.age_alerts[1], (), parsed.age_alerts[0], "cle"
    for pnds, smap, i in parsed.pnds:
        yield smap, ("pnds", i), pnds, "pnds"
    for name in ("resources", "territories", "meta"):
        document = getattr(parsed, name)
        if document:
            yield document[1], (), document[0], "ressource" if name == "resources" else "autre"


def check_links(parsed: Parsed, hosts: tuple[str, ...]) -> list[Diagnostic]:
    """SOURCE_MIROIR for every link of the rules that goes through a mirror or a proxy: an error,
    pnds.yaml included since it was re-sourced (issue 18)."""
    diags: list[Diagnostic] = []
    for smap, base, model, _kind in documents(parsed):
        for path, url in urls_in(model, base):
            host = mirror_host(url, hosts)
            if host:
                diags.append(smap.diag(path, "SOURCE_MIROIR",
                                       f"« {host} » n'est pas l'éditeur de ce document (site de partage de documents "
                                       "ou proxy, liste dans mirrors.yaml) : citez l'éditeur (HAS, filière, centre, "
                                       "société savante, revue par doi.org ou PubMed, Orphanet), ou à défaut la page "
                                       "des PNDS de la filière ou de la HAS en le disant"))
    return diags


@dataclass
class LinkReport:
    links: list[Link]
    pnds: dict[str, list[str]] = field(default_factory=dict)  # class -> PNDS ids

    @property
    def by_host(self) -> list[tuple[str, int, bool]]:
        """(host, count, mirror), most cited first."""
        counts = Counter(link.host for link in self.links)
        mirrors = {link.host for link in self.links if link.mirror}
        return sorted(((h, n, h in mirrors) for h, n in counts.items()), key=lambda t: (-t[1], t[0]))

    @property
    def mirrors(self) -> list[Link]:
        return [link for link in self.links if link.mirror]

    def as_dict(self) -> dict:
        return {
            "liens": len(self.links),
            "hotes": [{"hote": h, "liens": n, "miroir": m} for h, n, m in self.by_host],
            "miroirs": [{"fichier": link.file, "ligne": link.line, "url": link.url} for link in self.mirrors],
            "pnds": {name: len(self.pnds.get(name, [])) for name in PNDS_CLASSES},
        }


def pnds_class(pnds: Pnds, own_hosts: set[str], hosts: tuple[str, ...]) -> str:
    """Where a PNDS link leads: HAS, a filière or centre site, a fallback page, a mirror, or other."""
    if pnds.fallback:
        return "fallback"
    if mirror_host(pnds.url, hosts):
        return "miroir"
    host = host_of(pnds.url)
    if host == HAS_HOST or host.endswith("." + HAS_HOST):
        return "has"
    return "filiere" if host in own_hosts else "autre"


def report(parsed: Parsed) -> LinkReport:
    hosts = parsed.mirror_hosts
    links: list[Link] = []
    for smap, base, model, kind in documents(parsed):
        for path, url in urls_in(model, base):
            links.append(Link(smap.file, smap.at(path)[0], url, host_of(url), bool(mirror_host(url, hosts)), kind))
    # The filières' and the directory's own sites: a PNDS there is published by its authors.
    own = {host_of(u) for f, _, _ in parsed.filieres for u in (f.website, f.contact_url) if u}
    own |= {host_of(u) for c, _, _ in parsed.centres for u in (c.web, c.contact_url) if u}
    own |= {host_of(u) for n, _, _ in parsed.networks for u in (n.web, n.contact_url) if u}
    classes: dict[str, list[str]] = {}
    for pnds, _, _ in parsed.pnds:
        classes.setdefault(pnds_class(pnds, own, hosts), []).append(pnds.id)
    return LinkReport(links, classes)


def render(report: LinkReport) -> str:
    lines = [f"{len(report.links)} liens externes dans les règles, {len(report.by_host)} hôtes, "
             f"{len(report.mirrors)} par un site miroir ou un proxy.", "", "Liens par hôte (* : miroir ou proxy) :"]
    width = max((len(h) for h, _, _ in report.by_host), default=10)
    lines += [f"  {'*' if m else ' '} {h:<{width}}  {n:>4}" for h, n, m in report.by_host]
    total = sum(len(v) for v in report.pnds.values())
    lines += ["", f"PNDS ({total}) :"]
    for name, label in PNDS_CLASSES.items():
        count = len(report.pnds.get(name, []))
        share = f"{100 * count / total:.0f} %" if total else "-"
        lines.append(f"  {label:<62} {count:>4}  {share:>5}")
    if report.mirrors:
        lines += ["", "Liens par un miroir ou un proxy :"]
        lines += [f"  {link.file}:{link.line} {link.url}" for link in report.mirrors]
    return "\n".join(lines)


__all__ = ["MIRROR_HOSTS", "PNDS_CLASSES", "Link", "LinkReport", "check_links", "pnds_class", "render", "report",
           "urls_in"]
