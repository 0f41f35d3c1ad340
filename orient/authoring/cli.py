"""``orient`` on the command line: check, scenarios, schema, coverage, serve...

Click comes with Flask, so the command line costs no extra dependency.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from orient.core.diagnostics import RuleSetError

RULES_OPTION = click.option(
    "--rules", "rules_dir", type=click.Path(path_type=Path), default=None,
    help="Dossier des règles (défaut : $ORIENT_RULES, sinon rules/).")


ORPHANET_OPTION = click.option(
    "--orphanet", "orphanet_dir", type=click.Path(path_type=Path), default=None,
    help="Dossier de la nomenclature Orphanet (pack officiel ou CSV ; défaut : $ORIENT_ORPHANET, sinon aucune).")


def _orphanet_dir(value: Path | None) -> Path | None:
    import os

    return value if value is not None else (Path(os.environ["ORIENT_ORPHANET"]) if os.environ.get("ORIENT_ORPHANET")
                                            else None)


def _nomenclature_or_exit(value: Path | None):
    """The configured nomenclature (None without one); every problem printed and exit 1 if broken."""
    from orient.services.nomenclature import load as load_nomenclature

    folder = _orphanet_dir(value)
    if folder is None:
        return None
    nomenclature, diags = load_nomenclature(folder)
    for d in diags:
        click.echo(d.format(), err=nomenclature is None)
    if nomenclature is None:
        click.echo(f"{sum(d.is_error for d in diags)} erreur(s) : nomenclature Orphanet refusée.", err=True)
        sys.exit(1)
    return nomenclature


def _rules_dir(value: Path | None) -> Path:
    from orient.core.ruleset import default_rules_dir

    return value if value is not None else default_rules_dir()


def _load_or_exit(rules_dir: Path):
    from orient.core.ruleset import load

    ruleset, diags = load(rules_dir)
    if ruleset is None:
        for d in diags:
            click.echo(d.format(), err=True)
        errors = sum(d.is_error for d in diags)
        click.echo(f"{errors} erreur(s) : règles refusées.", err=True)
        sys.exit(1)
    return ruleset


def _key_or_exit(ruleset, key_id: str):
    key = ruleset.keys.get(key_id)
    if key is None:
        from orient.core.diagnostics import suggest

        hint = suggest(key_id, list(ruleset.keys))
        click.echo(f"Clé « {key_id} » inconnue." + (f" Vouliez-vous dire « {hint} » ?" if hint else ""), err=True)
        sys.exit(1)
    return key


@click.group(help="orient — aide à l'orientation des patients suspects de maladie rare.")
def main() -> None:
    pass


@main.command("check", help="Vérifie les règles et affiche tous les problèmes (fichier:ligne:colonne) ; avec "
                            "--orphanet, vérifie aussi la correspondance Orphanet → filières contre la nomenclature.")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@ORPHANET_OPTION
def check_command(directory: Path | None, orphanet_dir: Path | None) -> None:
    from orient.core.ruleset import load

    nomenclature = _nomenclature_or_exit(orphanet_dir)
    ruleset, diags = load(_rules_dir(directory), nomenclature=nomenclature)
    for d in diags:
        click.echo(d.format())
    errors = sum(d.is_error for d in diags)
    warnings = len(diags) - errors
    if errors:
        click.echo(f"{errors} erreur(s), {warnings} avertissement(s).")
        sys.exit(1)
    assert ruleset is not None
    click.echo(f"Règles valides : {len(ruleset.keys)} clés, {len(ruleset.filieres)} filières, "
               f"{len(ruleset.centres)} sites, {len(ruleset.pnds)} PNDS ; {warnings} avertissement(s).")


@main.command("scenarios", help="Rejoue les scénarios et affiche un tableau ; échec si l'un échoue.")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
def scenarios_command(directory: Path | None) -> None:
    from orient.services.scenarios import run_all

    ruleset = _load_or_exit(_rules_dir(directory))
    results = run_all(ruleset)
    width = max((len(r.scenario.id) for r in results), default=10)
    click.echo(f"{'scénario':<{width}}  {'résultat':<8}  questions  issue")
    for r in results:
        status = "ok" if r.passed else "ÉCHEC"
        click.echo(f"{r.scenario.id:<{width}}  {status:<8}  {r.asked:>9}  {r.outcome_id or '-'}"
                   + (f"  ← {r.problem}" if r.problem else ""))
    failed = sum(not r.passed for r in results)
    click.echo(f"{len(results) - failed} réussi(s), {failed} en échec.")
    if failed or not results:
        sys.exit(1)


@main.command("schema", help="Écrit (ou vérifie avec --check) les schémas JSON des fichiers de règles.")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Dossier de sortie (défaut : schema/).")
@click.option("--check", "check_only", is_flag=True, help="Échoue si les schémas écrits sont périmés.")
def schema_command(output: Path | None, check_only: bool) -> None:
    from orient.exports.schema import generate, schema_dir

    target = output or schema_dir()
    stale = []
    for name, text in generate().items():
        path = target / name
        if check_only:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            target.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            click.echo(f"écrit {path}")
    if stale:
        click.echo("Schémas périmés : " + ", ".join(stale) + " — lancez « orient schema ».", err=True)
        sys.exit(1)


@main.command("coverage", help="Couverture des règles : clés par filière, issues sans scénario, relectures dues, "
                               "annuaire (réseaux, sites, contacts, départements loin d'un site adapté).")
@RULES_OPTION
@ORPHANET_OPTION
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
def coverage_command(rules_dir: Path | None, orphanet_dir: Path | None, as_json: bool) -> None:
    from orient.authoring.coverage import compute, directory_report, render_directory, render_text
    from orient.core.orphanet import mapping_report, render_report

    nomenclature = _nomenclature_or_exit(orphanet_dir)
    ruleset = _load_or_exit(_rules_dir(rules_dir))
    report = compute(ruleset)
    reach = directory_report(ruleset)
    # With a nomenclature: the share of Orphanet disorders with a filière, per filière and head.
    orpha = mapping_report(ruleset, nomenclature) if nomenclature is not None else None
    if as_json:
        click.echo(json.dumps({**report.as_dict(), "directory": reach.as_dict(),
                               **({"orphanet": orpha.as_dict()} if orpha else {})}, ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(report) + "\n\n" + render_directory(reach, report.filiere_names)
                   + ("\n\n" + render_report(orpha, report.filiere_names) if orpha else ""))
    if not report.ok:
        sys.exit(1)


@main.command("import-centres", help="Importe une liste officielle de sites (CSV) dans rules/centres/.")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@RULES_OPTION
@click.option("--dry-run", is_flag=True, help="Valide et compte sans rien écrire.")
def import_centres_command(csv_file: Path, rules_dir: Path | None, dry_run: bool) -> None:
    from orient.authoring.importer import import_centres
    from orient.core.ruleset import load

    directory = _rules_dir(rules_dir)
    ruleset = _load_or_exit(directory)
    report = import_centres(csv_file, directory, ruleset, dry_run=dry_run)
    for line, reason in report.rejected:
        click.echo(f"{csv_file}:{line}: ligne rejetée : {reason}", err=True)
    click.echo(f"{len(report.added)} site(s) ajouté(s), {len(report.updated)} mis à jour, "
               f"{len(report.rejected)} ligne(s) rejetée(s)" + (" (simulation : rien n'est écrit)" if dry_run else ""))
    if not dry_run and report.written:
        _, diags = load(directory)
        errors = [d for d in diags if d.is_error]
        for d in errors:
            click.echo(d.format(), err=True)
        if errors:
            sys.exit(1)
    if report.rejected:
        sys.exit(1)


@main.command("graph", help="Dessine la carte de décision d'une clé (questions, conditions, issues) en SVG.")
@click.argument("key_id", metavar="CLE")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Fichier SVG à écrire.")
@RULES_OPTION
def graph_command(key_id: str, output: Path, rules_dir: Path | None) -> None:
    from orient.exports.graph import render_svg

    ruleset = _load_or_exit(_rules_dir(rules_dir))
    key = _key_or_exit(ruleset, key_id)
    names = {f.id: f.acronym for f in ruleset.filieres.values()}
    output.write_text(render_svg(key, names), encoding="utf-8")
    click.echo(f"écrit {output}")


def _parse_reponse(text: str) -> dict[str, str]:
    """'qid=val;qid2=a,b' -> {"qid": "val", "qid2": "a,b"} (multiple choices are split later)."""
    answers: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        qid, sep, value = part.partition("=")
        if not sep or not qid.strip():
            raise click.BadParameter(f"« {part} » : attendu question=valeur", param_hint="--reponse")
        answers[qid.strip()] = value.strip()
    return answers


@main.command("export-fhir", help="Exporte une clé en Questionnaire FHIR R4 (SDC), ou, avec --reponse, un "
                                  "parcours terminé en QuestionnaireResponse.")
@click.argument("key_id", metavar="CLE")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Fichier JSON à écrire (défaut : sortie standard).")
@click.option("--reponse", "reponse", default=None, metavar="'q=val;q2=a,b'",
              help="Réponses du parcours (age_group=adulte;necrose=non;signes=a,b;departement=13).")
@click.option("--base", default=None, help="Base des URL canoniques (défaut : $ORIENT_FHIR_BASE, sinon un "
                                           "substitut en .invalid).")
@RULES_OPTION
def export_fhir_command(key_id: str, output: Path | None, reponse: str | None, base: str | None,
                        rules_dir: Path | None) -> None:
    import os

    from orient.core import engine
    from orient.core.consultation import Consultation
    from orient.core.model import AGE_BANDS, AGE_QUESTION_ID
    from orient.exports import fhir
    from orient.services.orientation import NO_DEPARTEMENT

    ruleset = _load_or_exit(_rules_dir(rules_dir))
    key = _key_or_exit(ruleset, key_id)
    base = base or os.environ.get("ORIENT_FHIR_BASE") or fhir.DEFAULT_BASE
    if reponse is None:
        resource = fhir.questionnaire(key, ruleset, base=base)
    else:
        raw = _parse_reponse(reponse)
        age = raw.pop(AGE_QUESTION_ID, None)
        departement = raw.pop(fhir.DEPARTEMENT_ITEM, None)
        if departement is None and key.question("departement") is None:
            departement = raw.pop("departement", None)
        problems = []
        if age not in AGE_BANDS:
            problems.append(f"age_group : tranche d'âge attendue ({', '.join(AGE_BANDS)})")
        if departement is not None and departement != NO_DEPARTEMENT and departement not in ruleset.departements:
            problems.append(f"departement : code inconnu « {departement} »")
        answers: dict[str, engine.Value] = {}
        for qid, text in raw.items():
            question = key.question(qid)
            if question is None:
                problems.append(f"{qid} : question inconnue dans la clé « {key.id} »")
                continue
            try:
                answers[qid] = engine.normalise(question, question.raw_from_text(text, ","), ruleset.departements)
            except engine.InvalidAnswer as exc:
                problems.append(f"{qid} : {exc.message}")
        if problems:
            for problem in problems:
                click.echo(problem, err=True)
            sys.exit(1)
        consultation = Consultation(key, answers, age, departement)
        if not consultation.decided:
            nxt = consultation.next_question.id if consultation.next_question else "?"
            click.echo(f"Parcours inachevé : la question « {nxt} » attend une réponse.", err=True)
            sys.exit(1)
        for qid in consultation.dropped:
            click.echo(f"réponse hors parcours ignorée : {qid}", err=True)
        resource = fhir.questionnaire_response(consultation, ruleset, base=base)
    text = json.dumps(resource, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"écrit {output}", err=True)


@main.command("links", help="Tous les liens externes des règles, par hôte (miroirs et proxys marqués), et où mènent "
                            "les liens des PNDS (has-sante.fr, filière ou centre, page d'accès). Échoue s'il reste un "
                            "lien par un miroir.")
@RULES_OPTION
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
def links_command(rules_dir: Path | None, as_json: bool) -> None:
    from orient.core import links
    from orient.core.cache import Cache
    from orient.core.ruleset import parse_directory

    parsed, _, _ = parse_directory(_rules_dir(rules_dir), Cache.from_environment())
    report = links.report(parsed)
    click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2) if as_json else links.render(report))
    if report.mirrors:
        sys.exit(1)


# `orient serve` defaults: safe alone on a laptop or a small internal network (README).
SERVE_CONNECTION_LIMIT = 1000   # waitress's default (100) fell to 100 slow clients (issue 22, D1)
SERVE_MAX_BODY = 16 * 1024      # the app's own limit (MAX_CONTENT_LENGTH): no form or API body is bigger
SERVE_CHANNEL_TIMEOUT = 30      # waitress's default is 120 s


@main.command("serve", help="Lance l'application seule (serveur WSGI waitress) : poste d'un formateur, petit "
                            "service interne. Sur Internet, préférez nginx + gunicorn (README, « En production »).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int, help="requêtes traitées en parallèle")
@click.option("--connection-limit", default=SERVE_CONNECTION_LIMIT, show_default=True, type=click.IntRange(1, 10_000),
              help="connexions ouvertes au plus ; au-delà, les nouvelles attendent dans la file du système")
@click.option("--max-body", default=SERVE_MAX_BODY, show_default=True, type=click.IntRange(1024, 16 * 1024 * 1024),
              help="taille maximale d'un corps de requête, en octets : refusé (413) dès l'en-tête, avant d'être lu")
@click.option("--channel-timeout", default=SERVE_CHANNEL_TIMEOUT, show_default=True, type=click.IntRange(1, 3600),
              help="secondes d'inactivité après lesquelles une connexion est fermée")
@RULES_OPTION
@ORPHANET_OPTION
def serve_command(host: str, port: int, threads: int, connection_limit: int, max_body: int, channel_timeout: int,
                  rules_dir: Path | None, orphanet_dir: Path | None) -> None:
    import waitress

    from orient.wsgi import application

    try:
        orphanet = _orphanet_dir(orphanet_dir)
        app = application({"RULES_DIR": str(_rules_dir(rules_dir)), "GENERATE_SECRET_KEY": True,
                           "ORPHANET_DIR": str(orphanet) if orphanet else None})
    except RuleSetError as exc:
        click.echo(exc.report(), err=True)
        click.echo(f"{exc} : l'application refuse de démarrer.", err=True)
        sys.exit(1)
    import signal

    from orient.web.operations import reload_rules

    if hasattr(signal, "SIGHUP"):
        # `kill -HUP <pid>` reloads the rules; a broken rule set is refused and the last good one stays.
        signal.signal(signal.SIGHUP, lambda *_: reload_rules(app))
    _raise_open_files_limit(connection_limit + threads + 64)
    count = len(app.extensions["orient"].keys)
    click.echo(f"orient sert {count} clés sur http://{host}:{port}/ (Ctrl+C pour arrêter) ; "
               f"{connection_limit} connexions au plus, corps de {max_body} octets au plus, "
               f"connexion inactive fermée après {channel_timeout} s")
    waitress.serve(
        app, host=host, port=port, threads=threads, ident="orient",
        connection_limit=connection_limit,
        # Refused from the Content-Length header (413), before a byte of the body is read, and
        # counted for chunked bodies: nothing near that size is ever buffered, in memory or on disk.
        max_request_body_size=max_body,
        # Bodies stay in memory up to this size, so even an accepted body never reaches a temp file.
        inbuf_overflow=max(max_body, 512 * 1024),
        max_request_header_size=64 * 1024,
        channel_timeout=channel_timeout,
        cleanup_interval=min(30, max(1, channel_timeout // 2)),
        # poll(): select() cannot watch more than 1024 sockets.
        asyncore_use_poll=True,
        backlog=2048,
    )


def _raise_open_files_limit(wanted: int) -> None:
    """Each connection is a file descriptor: lift the soft limit toward the hard one."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on POSIX
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


if __name__ == "__main__":  # pragma: no cover
    main()
