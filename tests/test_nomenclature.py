"""The Orphanet nomenclature reader (orient/services/nomenclature.py): both layouts, validation in French.

Fixtures: tests/fixtures/orphanet/ (invented data, same content in the CSV layout and the
official XML pack layout). Integration: the French CSV data and the official English pack of
../shared/reference/orphanet/ (or $ORIENT_TEST_ORPHANET), skipped only when that folder is
absent.
"""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

import pytest

from orient.core.diagnostics import RuleSetError
from orient.services import nomenclature as nm

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "orphanet"
CSV_DIR = FIXTURES / "csv" / "fr-2024-01-15"
PACK_DIR = FIXTURES / "pack"



@pytest.fixture(params=["csv", "pack"])
def fixture_nomenclature(request) -> nm.Nomenclature:
    loaded, diags = nm.load(CSV_DIR if request.param == "csv" else PACK_DIR)
    assert loaded is not None, [d.format() for d in diags]
    assert diags == []
    return loaded


# --- the fixtures, in both layouts ------------------------------------------------------------


def test_both_layouts_read_the_same_data():
    from_csv, _ = nm.load(CSV_DIR)
    from_pack, _ = nm.load(PACK_DIR)
    assert from_csv is not None and from_pack is not None
    assert (from_csv.layout, from_pack.layout) == ("csv", "pack")
    assert dict(from_csv.entities) == dict(from_pack.entities)
    assert dict(from_csv.categories) == dict(from_pack.categories)
    assert dict(from_csv.redirects) == dict(from_pack.redirects)
    assert dict(from_csv.heads) == dict(from_pack.heads)
    assert {h: dict(t.parents) for h, t in from_csv.trees.items()} == {h: dict(t.parents) for h, t in from_pack.trees.items()}
    assert from_csv.release == from_pack.release == dt.date(2024, 1, 15)
    assert from_csv.language == from_pack.language == "fr"


def test_only_active_entities_and_no_category_among_them(fixture_nomenclature):
    nom = fixture_nomenclature
    assert 900111 in nom.entities and 900110 in nom.entities  # a disorder and a clinical group
    assert nom.entities[900113].level == "sous-type" and nom.entities[900110].level == "groupe"
    for category in (900100, 900120, 900200, 900300):  # "catégorie" headings: names of nodes, never entities
        assert category not in nom.entities and category in nom.categories
    for retired in (900190, 900191, 900192):  # obsolete, deprecated, not rare in Europe
        assert retired not in nom.entities and retired in nom.retired
    assert len(nom.disorders) == 15


def test_synonyms_are_kept(fixture_nomenclature):
    assert fixture_nomenclature.entities[1234].synonyms == ("Syndrome de Testard-Nivelle", "MTN")
    assert fixture_nomenclature.entities[900112].synonyms == ()


def test_an_obsolete_code_resolves_to_its_replacement(fixture_nomenclature):
    entity, replaced = fixture_nomenclature.resolve(900190)
    assert entity is not None and entity.code == 900111 and replaced == 900190
    assert fixture_nomenclature.resolve(900111) == (fixture_nomenclature.entities[900111], None)
    assert fixture_nomenclature.resolve(900191) == (None, None)  # deprecated, no replacement
    assert fixture_nomenclature.resolve(424242) == (None, None)


def test_classifications_and_linearisation(fixture_nomenclature):
    nom = fixture_nomenclature
    assert set(nom.trees) == {900100, 900200, 900300}
    assert nom.trees_of(900202) == (900100, 900200) or set(nom.trees_of(900202)) == {900100, 900200}
    assert nom.heads[900202] == 900100  # classified in two trees, its preferential head is alpha
    assert list(nom.ancestors(900113, 900100)) == [(1, (900111,)), (2, (900110,)), (3, (900100,))]


def test_release_label_in_french(fixture_nomenclature):
    assert fixture_nomenclature.release_label == "15/01/2024"


# --- validation: French messages with file and line or element, never a traceback ---------------


def _copy(tmp_path: Path, source: Path, name: str | None = None) -> Path:
    target = tmp_path / (name or source.name)
    shutil.copytree(source, target)
    return target


def _one(diags, code):
    found = [d for d in diags if d.code == code]
    assert found, [d.format() for d in diags]
    return found[0]


def test_missing_folder(tmp_path):
    loaded, diags = nm.load(tmp_path / "absent")
    assert loaded is None
    assert _one(diags, "ORPHANET_DOSSIER_INTROUVABLE").message == "dossier de la nomenclature Orphanet introuvable"


def test_unknown_layout(tmp_path):
    (tmp_path / "notes.txt").write_text("rien", encoding="utf-8")
    loaded, diags = nm.load(tmp_path)
    assert loaded is None and "ni pack officiel" in _one(diags, "ORPHANET_FORMAT_INCONNU").message


def test_csv_missing_column(tmp_path):
    folder = _copy(tmp_path, CSV_DIR)
    text = (folder / "nomenclature.csv").read_text(encoding="utf-8").replace("orpha_code,label", "code,label", 1)
    (folder / "nomenclature.csv").write_text(text, encoding="utf-8")
    loaded, diags = nm.load(folder)
    d = _one(diags, "ORPHANET_CSV_COLONNES")
    assert loaded is None and d.file.endswith("nomenclature.csv") and d.line == 1
    assert "colonne(s) manquante(s) : orpha_code" in d.message


def test_csv_bad_value_gives_its_line(tmp_path):
    folder = _copy(tmp_path, CSV_DIR)
    lines = (folder / "nomenclature.csv").read_text(encoding="utf-8").splitlines()
    lines[6] = lines[6].replace("1234,", "12x4,", 1)  # line 7 of the file
    (folder / "nomenclature.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    loaded, diags = nm.load(folder)
    d = _one(diags, "ORPHANET_CSV_VALEUR")
    assert loaded is None and d.line == 7 and "nombre attendu, trouvé « 12x4 »" in d.message


def test_csv_duplicate_code(tmp_path):
    folder = _copy(tmp_path, CSV_DIR)
    with (folder / "nomenclature.csv").open("a", encoding="utf-8") as handle:
        handle.write("1234,Maladie de Testard bis,36547,1,21394\n")
    loaded, diags = nm.load(folder)
    d = _one(diags, "ORPHANET_CODE_DOUBLE")
    assert loaded is None and d.line == 25 and "déjà ligne 7" in d.message


def test_csv_missing_required_file(tmp_path):
    folder = _copy(tmp_path, CSV_DIR)
    (folder / "classifications.csv").unlink()
    loaded, diags = nm.load(folder)
    assert loaded is None and "« classifications.csv » absent" in _one(diags, "ORPHANET_FICHIER_MANQUANT").message


def test_csv_not_utf8(tmp_path):
    folder = _copy(tmp_path, CSV_DIR)
    (folder / "synonyms.csv").write_bytes("orpha_code,pref_label,synonyms\n1234,é,Syndrome\n".encode("latin-1"))
    loaded, diags = nm.load(folder)
    assert loaded is None and "non UTF-8" in _one(diags, "ORPHANET_ENCODAGE").message


def test_csv_without_a_date_warns_and_says_so(tmp_path):
    folder = _copy(tmp_path, CSV_DIR, "francais")
    loaded, diags = nm.load(folder)
    assert loaded is not None and loaded.release is None
    assert loaded.release_label == "date de version non indiquée"
    assert _one(diags, "ORPHANET_DATE_INCONNUE").severity == "avertissement"
    (folder / "release.txt").write_text("2025-07-01\n", encoding="utf-8")
    assert nm.load(folder)[0].release == dt.date(2025, 7, 1)


def test_malformed_xml_gives_line_and_column(tmp_path):
    folder = _copy(tmp_path, PACK_DIR)
    path = folder / "ORPHAnomenclature_fr_2024.xml"
    lines = path.read_text(encoding="iso-8859-1").splitlines()
    lines[11] = lines[11] + "<Unclosed>"
    path.write_text("\n".join(lines) + "\n", encoding="iso-8859-1")
    loaded, diags = nm.load(folder)
    d = _one(diags, "ORPHANET_XML_INVALIDE")
    assert loaded is None and d.file.endswith("ORPHAnomenclature_fr_2024.xml")
    assert d.line > 11 and d.message.startswith("XML mal formé")


def test_xml_element_without_code_gives_its_line(tmp_path):
    folder = _copy(tmp_path, PACK_DIR)
    path = folder / "ORPHAnomenclature_fr_2024.xml"
    text = path.read_text(encoding="iso-8859-1")
    text = text.replace("<OrphaCode>900111</OrphaCode>", "<OrphaCode>neuf</OrphaCode>", 1)
    path.write_text(text, encoding="iso-8859-1")
    expected_line = text.splitlines().index(next(line for line in text.splitlines() if "<OrphaCode>neuf" in line))
    loaded, diags = nm.load(folder)
    d = _one(diags, "ORPHANET_ELEMENT_INVALIDE")
    assert loaded is None and "élément Disorder n° 7 : OrphaCode absent ou non numérique" in d.message
    assert d.line == expected_line  # the <Disorder> line, just above its <OrphaCode>


def test_pack_without_classifications(tmp_path):
    folder = _copy(tmp_path, PACK_DIR)
    shutil.rmtree(folder / "Classifications")
    loaded, diags = nm.load(folder)
    assert loaded is None and "Classifications" in _one(diags, "ORPHANET_FICHIER_MANQUANT").message


def test_the_pack_may_sit_in_one_subfolder_as_the_zip_unpacks(tmp_path):
    folder = tmp_path / "telechargement"
    _copy(folder, PACK_DIR, "Orphanet_Nomenclature_Pack_FR")
    loaded, diags = nm.load(folder)
    assert loaded is not None and loaded.layout == "pack" and diags == []


def test_load_or_raise():
    assert nm.load_or_raise(None) is None and nm.load_or_raise("") is None
    assert nm.load_or_raise(CSV_DIR).release == dt.date(2024, 1, 15)
    with pytest.raises(RuleSetError) as raised:
        nm.load_or_raise(CSV_DIR / "absent")
    assert str(raised.value) == "1 erreur(s) dans la nomenclature Orphanet"
    assert "ORPHANET_DOSSIER_INTROUVABLE" in raised.value.report()


# --- integration on the reference data (CI has it) ------------------------------------------------


@pytest.fixture(scope="module")
def french(orphanet_reference):
    loaded, diags = nm.load(orphanet_reference / "fr-2023-06-22")
    assert loaded is not None, [d.format() for d in diags]
    return loaded


def test_french_csv_data(french):
    assert french.layout == "csv" and french.release == dt.date(2023, 6, 22) and french.language == "fr"
    assert len(french.entities) + len(french.categories) == 9479  # every active code
    assert len(french.disorders) == 7325 and len(french.trees) == 33 and len(french.redirects) == 1124
    assert french.entities[355].name == "Maladie de Gaucher"
    assert french.resolve(166068)[0].code == 166063  # « Moved to »


def test_official_english_pack_zip(tmp_path, orphanet_reference):
    archive = orphanet_reference / "official-nomenclature-pack-en-2023.zip"
    if not archive.is_file():
        pytest.skip("official-nomenclature-pack-en-2023.zip absent des données de référence")
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(tmp_path)
    loaded, diags = nm.load(tmp_path)
    assert loaded is not None, [d.format() for d in diags]
    assert [d for d in diags if d.is_error] == []
    assert loaded.layout == "pack" and loaded.language == "en" and loaded.release == dt.date(2023, 6, 21)
    assert len(loaded.entities) + len(loaded.categories) == 9479
    assert loaded.entities[558].name == "Marfan syndrome" and loaded.entities[558].synonyms == ("MFS",)
    assert loaded.resolve(166068)[0].code == 166063
    assert len(loaded.redirects) == 1124
    assert 98006 in loaded.trees and len(loaded.trees) >= 33
    assert loaded.heads == {}  # the pack has no linearisation (product 7 is a separate download)
