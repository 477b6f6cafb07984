"""I/O bandwidth density: the shipped table, the definitions, and the reference's numbers.

Pinned numbers come from the shared reference io-cooling.md (sections 1, A2, A4, A5, A8, 6).
The reference shows its figures rounded, and it divides by edges already rounded to 0.1 mm
(e.g. B200 one die: 900 / 113.1 = 7.96 where 900 / 113.137 = 7.955), so a shown figure is matched
to half a unit of its last digit plus 5e-4 relative (0.05 mm over a ~100 mm edge).
"""

from __future__ import annotations

import csv
import json
import math
from importlib import resources

import pytest

from wafersolve.errors import CaseError, WafersolveError
from wafersolve.io_density import (
    KINDS,
    REFERENCE_COMPARISONS,
    UNITS,
    Chip,
    Definition,
    IODataError,
    Link,
    assume_die_area,
    density,
    density_summary,
    format_density_table,
    load_io_table,
    ratio,
    reference_ratios,
)

NV = ("nvlink",)
BI = "bidirectional"


def shown(x: float, figure: str | float) -> bool:
    """True if ``x`` rounds to ``figure`` as the reference shows it (see module docstring)."""
    figure = figure if isinstance(figure, str) else f"{figure:g}"
    decimals = len(figure.split(".")[1]) if "." in figure else 0
    return abs(x - float(figure)) <= 0.5 * 10.0**-decimals + 5e-4 * abs(float(figure))


@pytest.fixture(scope="module")
def table():
    return load_io_table()


@pytest.fixture(scope="module")
def wse(table):
    """WSE-3 per direction and both directions, whole 860 mm perimeter."""
    chip = table.chip("WSE-3")
    return density(chip, Definition()), density(chip, Definition(BI))


@pytest.fixture(scope="module")
def pairs(table):
    return {c.key: (c, r) for c, r in reference_ratios(table)}


# -- the table ---------------------------------------------------------------------------------
def test_every_raw_row_has_a_source_and_a_valid_tag():
    """Read the CSV without the loader: every row has 8 fields, a source and a P/S/D/U tag;
    P and S rows cite a URL or DOI, D rows give their formula."""
    text = resources.files("wafersolve.data").joinpath("io_reference.csv").read_text("utf-8")
    rows = [r for r in csv.reader(text.splitlines()) if r and not r[0].startswith("#")][1:]
    assert len(rows) > 100
    for r in rows:
        assert len(r) == 8, r
        subject, quantity, value, unit, direction, kind, source, note = r
        assert kind in KINDS, r
        assert source.strip(), r
        assert unit in UNITS, r
        assert float(value) >= 0, r
        if kind in "PS":
            assert "http" in source or "doi:" in source, r
        if kind == "D":
            assert "=" in note, r


def test_table_covers_the_chips_and_standards(table):
    subjects = {r.subject for r in table.rows}
    for name in ("WSE-1", "WSE-2", "WSE-3", "H100", "B200", "GB200", "Rubin", "MI300X",
                 "TPU v5p", "Dojo D1", "Dojo training tile", "Groq TSP v1", "UCIe standard",
                 "UCIe advanced", "BoW-256", "HBM3", "HBM PHY", "SerDes 113G PAM4 XSR 5nm"):
        assert name in subjects, name
    assert table.row("SerDes LR 112G/224G 5nm", "phy_area_max").value == 3
    assert table.row("UCIe standard", "shoreline_density_max").unit == "GB/s/mm"


def test_reference_tags_are_kept(table):
    assert table.row("TPU v5p", "ici_bw").kind == "P"
    assert table.row("WSE-3", "ingress_egress_vs_cs2").kind == "P"
    assert table.row("WSE-2", "ethernet_bw").kind == "U"  # S/U in the reference: the weaker
    assert table.row("Rubin", "die_area").kind == "U"  # an assumption, not published
    assert table.row("WSE-3", "perimeter").kind == "D"


# -- WSE-3: 0.17 GB/s/mm exactly ---------------------------------------------------------------
def test_wse3_150_GBps_over_860_mm(table, wse):
    """Section 1.1: 150 GB/s (12 x 100GbE, one way) / 860 mm = 0.174 GB/s/mm; 0.349 both ways."""
    assert table.row("WSE-3", "ethernet_bw").si_value / 8e9 == 150.0
    per_dir, bidir = wse
    assert per_dir.edge_m * 1e3 == pytest.approx(860.0, rel=1e-15)
    assert per_dir.GB_per_s_per_mm == pytest.approx(150.0 / 860.0, rel=1e-14)
    assert round(per_dir.GB_per_s_per_mm, 3) == 0.174
    assert round(per_dir.GB_per_s_per_mm, 2) == 0.17  # SemiAnalysis' figure
    assert round(bidir.GB_per_s_per_mm, 3) == 0.349
    outline = density(table.chip("WSE-3"), Definition(outline="data"))  # 4 x 215 from data
    assert outline.GB_per_s_per_mm == pytest.approx(per_dir.GB_per_s_per_mm, rel=1e-15)


def test_wse3_on_its_two_io_edges(table):
    """A1: the I/O sits on both edges (2 of 4): 150 / 430 = 0.35 GB/s/mm per direction."""
    d = density(table.chip("WSE-3"), Definition(edge="io_edges"))
    assert d.edge_m == pytest.approx(0.430, rel=1e-15)
    assert shown(d.GB_per_s_per_mm, "0.35")
    assert d.definition.startswith("per direction, all links, I/O-carrying edges (from data)")


def test_wse3_derived_rows_match_the_computation(table, wse):
    per_dir, bidir = wse
    row = table.row
    assert shown(per_dir.GB_per_s_per_mm, row("WSE-3", "io_density").value)
    assert shown(bidir.GB_per_s_per_mm, row("WSE-3", "io_density_bidir").value)
    assert row("WSE-3", "perimeter").value == 4 * row("WSE-3", "die_width").value
    assert row("WSE-3", "edge_tiles").value == 2 * 12 + 2 * 7 - 4
    assert shown(150 / row("WSE-3", "edge_tiles").value, "4.4")


def test_geometry_penalty_of_edge_io(table, wse):
    """Section 1.3 / A2: 0.0186 mm/mm² on the wafer, 0.141 on an 800 mm² square: 7.6x."""
    wafer = wse[0].edge_m * 1e3 / (wse[0].area_m2 * 1e6)
    die = 4 * math.sqrt(800) / 800
    assert shown(wafer, table.row("WSE-3", "edge_per_area").value)
    assert shown(die, table.row("800 mm2 square die", "edge_per_area").value)
    assert shown(die / wafer, "7.6")


# -- A4: every row of the density table ---------------------------------------------------------
A4 = [  # chip, definition, per dir, bidir, bidir + HBM, ratio dir/dir, NVIDIA bidir/dir, +HBM/bidir
    ("H100", {"links": NV}, "3.94", "7.89", "37.2", "23", "45", "107"),
    ("H100", {"links": ("nvlink", "pcie")}, "4.50", "9.01", "38.4", "26", "52", "110"),
    ("B200", {"links": NV, "dies": "merged"}, "5.63", "11.25", "61.2", "32", "64", "176"),
    ("B200", {"dies": "merged"}, "6.43", "12.85", "62.9", "37", "74", "180"),
    ("B200", {"links": NV}, "3.98", "7.96", "43.3", "23", "46", "124"),
    ("B200", {}, "4.54", "9.09", "44.4", "26", "52", "127"),
    ("B200", {"links": NV, "dies": "one"}, "7.96", "15.9", "86.6", "46", "91", "248"),
    ("GB200", {"dies": "one"}, "11.9", "23.9", "94.6", "68", "137", "271"),
    ("Rubin", {"dies": "merged"}, "11.3", "22.5", "160", "64", "129", "459"),
    ("Groq TSP v1", {}, "2.53", "5.05", None, "14", "29", None),
    ("Dojo D1", {}, "78.8", "157.5", None, "451", "903", None),
    ("Dojo training tile", {}, "35.4", "70.9", None, "203", "406", None),
]


@pytest.mark.parametrize("row", A4, ids=[f"{r[0]}-{'-'.join(map(str, r[1].values()))}"
                                         for r in A4])
def test_a4_density_table(table, wse, row):
    name, kw, *figures = row
    chip = table.chip(name)
    a, b = density(chip, Definition(**kw)), density(chip, Definition(BI, **kw))
    got = [a.GB_per_s_per_mm, b.GB_per_s_per_mm, None,
           ratio(a, wse[0]).value, ratio(b, wse[0]).value, None]
    if figures[2] is not None:
        h = density(chip, Definition(BI, hbm=True, **kw))
        got[2], got[5] = h.GB_per_s_per_mm, ratio(h, wse[1]).value
    for value, figure in zip(got, figures, strict=True):
        if figure is not None:
            assert shown(value, figure), (value, figure)


def test_square_equivalent_edges(table):
    """A4 notes: 4·√A = 114.1 (H100), 113.1 (800 mm²), 160 (1,600 mm²), 101.6 (D1), 107.7 (Groq)."""
    def edge_mm(name, **kw):
        return density(table.chip(name), Definition(**kw)).edge_m * 1e3

    assert shown(edge_mm("H100"), "114.1")
    assert shown(edge_mm("B200", dies="one"), "113.1")
    assert shown(edge_mm("B200"), "226.3")
    assert edge_mm("B200", dies="merged") == pytest.approx(160.0, rel=1e-14)
    assert shown(edge_mm("Dojo D1"), "101.6")
    assert shown(edge_mm("Groq TSP v1"), "107.7")
    assert shown(edge_mm("Dojo training tile"), "507.9")


# -- sections 1 and A5: like for like vs "~130x" -----------------------------------------------
LIKE_FOR_LIKE = {  # key: (exact value by hand, the reference's figure)
    "h100_nvlink": (450 / (4 * math.sqrt(814)) * 860 / 150, "23"),
    "b200_nvlink_two_dies": (900 / (2 * 4 * math.sqrt(800)) * 860 / 150, "23"),
    "b200_nvlink_one_die": (900 / (4 * math.sqrt(800)) * 860 / 150, "46"),
    "b200_nvlink_one_square": (900 / 160 * 860 / 150, "32"),
    "rubin_nvlink_one_square": (1800 / 160 * 860 / 150, "64"),  # = 64.5 exactly
}
CANDIDATES_130X = {
    "b200_nvlink_on_40mm": (900 / 40 * 860 / 150, "129"),
    "rubin_bidir_vs_wse_per_dir": (3600 / 160 * 860 / 150, "129"),
    "gb200_nvlink_c2c_bidir_one_die_vs_wse_per_dir": (2700 / (4 * math.sqrt(800)) * 860 / 150,
                                                      "137"),
    "b200_links_hbm_two_dies_vs_wse_bidir": (10056 / (8 * math.sqrt(800)) * 860 / 300, "127"),
    "h100_links_hbm_vs_wse_bidir": (4378 / (4 * math.sqrt(814)) * 860 / 300, "110"),
}


@pytest.mark.parametrize("key", LIKE_FOR_LIKE)
def test_like_for_like_ratios(pairs, key):
    """Section 1.2: NVLink only, same direction, die perimeter: H100 23x, B200 23-46x, Rubin 64x."""
    exact, figure = LIKE_FOR_LIKE[key]
    comparison, r = pairs[key]
    assert r.value == pytest.approx(exact, rel=1e-12)
    assert shown(r.value, figure)
    assert r.like_for_like and comparison.group == "like for like"
    assert "MIXED" not in r.name


@pytest.mark.parametrize("key", CANDIDATES_130X)
def test_definitions_that_give_130x(pairs, key):
    """A5 rows 1-5: ~130x needs bidir over per-dir, HBM as I/O, or NVLink on ~40 mm of edge."""
    exact, figure = CANDIDATES_130X[key]
    comparison, r = pairs[key]
    assert r.value == pytest.approx(exact, rel=1e-12)
    assert shown(r.value, figure)
    assert comparison.group == "~130x candidate"
    if key == "b200_nvlink_on_40mm":  # consistent directions, but an assumed I/O edge
        assert r.like_for_like and r.numerator.edge_m == pytest.approx(0.040, rel=1e-14)
        assert "1 of 4 edges carry I/O (assumed)" in r.name and "U" in r.numerator.tags
    else:
        assert not r.like_for_like and "MIXED" in r.name


def test_no_like_for_like_nvidia_ratio_reaches_130x(pairs):
    nvidia = [r.value for c, r in pairs.values() if c.chip in ("H100", "B200", "GB200", "Rubin")
              and r.like_for_like and r.numerator.definition.count("whole perimeter")]
    assert nvidia and max(nvidia) < 65


def test_40mm_is_what_semianalysis_framing_implies(table):
    """A5: WSE 150 GB/s is ~1/6 of 900 GB/s, so 130x needs an NVIDIA edge of 860 / (130/6)."""
    implied = 860 / (130 / 6)
    assert shown(implied, table.row("SemiAnalysis claim", "implied_nvidia_io_edge").value)
    assert 900 / 150 == 6


def test_every_printed_ratio_names_its_definition(pairs):
    text = format_density_table(list(pairs.values()))
    for _, r in pairs.values():
        for side in (r.numerator, r.denominator):
            assert side.definition in text and side.definition in str(r)
        assert str(r).startswith(f"{r.value:.1f}x = ")
        if not r.like_for_like:
            assert f"MIXED: {r.mismatch}" in text
    ratio_lines = [ln for ln in text.splitlines() if ln.strip()[:1].isdigit()]
    assert len(ratio_lines) == len(pairs)


def test_density_summary_keys_carry_units(pairs):
    summary = density_summary(list(pairs.values()))
    units = ("_ratio", "_GB_per_s_per_mm", "_GB_per_s_per_mm2", "_edge_m", "_like_for_like")
    assert all(k.endswith(units) for k in summary), [k for k in summary if not k.endswith(units)]
    assert len(summary) == 7 * len(REFERENCE_COMPARISONS)
    json.dumps(summary)
    assert shown(summary["io_density_h100_nvlink_ratio"], "23")
    assert summary["io_density_rubin_bidir_vs_wse_per_dir_like_for_like"] is False


def test_reference_ratios_against_a_case_wafer(table):
    """The CLI can pass its own wafer (e.g. from an edge-I/O result) in place of WSE-3."""
    wafer = Chip("my wafer", (Link("serdes", 1.2e12, "per_direction"),), die_area_m2=0.215**2)
    got = dict((c.key, r.value) for c, r in reference_ratios(table, wafer))
    ref = dict((c.key, r.value) for c, r in reference_ratios(table))
    assert got == pytest.approx(ref, rel=1e-12)


# -- other chips and what-ifs -------------------------------------------------------------------
def test_tpu_v5p_needs_an_assumed_die(table):
    """A4 note: with an assumed 800 mm² die, TPU v5p ICI 600 GB/s/dir is 5.3 GB/s/mm (30x)."""
    with pytest.raises(WafersolveError, match="TPU v5p: no die area"):
        density(table.chip("TPU v5p"), Definition())
    d = density(assume_die_area(table.chip("TPU v5p"), 800), Definition())
    assert shown(d.GB_per_s_per_mm, "5.3")
    assert shown(d.GB_per_s_per_mm / (150 / 860), "30")
    assert "assumed 800 mm2" in d.name and "(uses unverified data)" in d.name


def test_h100_outline_from_data_is_flagged_unverified(table):
    d = density(table.chip("H100"), Definition(links=NV, outline="data"))
    assert d.edge_m == pytest.approx(2 * (0.026 + 0.031))
    assert "U" in d.tags and "die outline from data" in d.name
    with pytest.raises(WafersolveError, match="no die outline"):
        density(table.chip("B200"), Definition(outline="data"))


def test_dojo_rows_are_consistent(table):
    """A3: 576 lanes / 4 edges = 144; 144 x 112 Gb/s = 2.0 TB/s per dir, so 4 TB/s/edge is bidir."""
    row = table.row
    assert row("Dojo D1", "serdes_lanes").value / 4 == row("Dojo D1", "lanes_per_edge").value
    per_dir = 144 * row("Dojo D1", "lane_rate").si_value
    assert shown(per_dir / 8e12, "2.0") and 2 * per_dir == pytest.approx(
        row("Dojo D1", "edge_bw").si_value, rel=0.01)
    assert row("Dojo D1", "serdes_bw").si_value == 4 * row("Dojo D1", "edge_bw").si_value
    assert shown(144 / 25.4, row("Dojo D1", "lane_density").value)
    assert row("Dojo training tile", "offtile_bw").value == 4 * row(
        "Dojo training tile", "edge_bw").value


def test_a8_what_if_rows(table):
    """A8: the wafer's 860 mm edge at other densities, and its area at Lightmatter's average."""
    row = table.row
    wse_edge = 860

    def tbps(q):  # a what-if row in TB/s
        return row("WSE-3 what-if", q).value

    d1 = density(table.chip("Dojo D1"), Definition()).GB_per_s_per_mm
    assert shown(d1 * wse_edge / 1e3, tbps("edge_bw_at_dojo_d1_density"))
    for q, src in (("edge_bw_at_ucie_standard_min", "shoreline_density_min"),
                   ("edge_bw_at_ucie_standard_max", "shoreline_density_max")):
        assert shown(row("UCIe standard", src).value * wse_edge / 1e3, tbps(q))
    assert shown(row("BoW-256", "shoreline_density_organic").value * wse_edge / 1e3,
                 tbps("edge_bw_at_bow_organic"))
    m1000 = row("Lightmatter Passage M1000", "total_bw").value / row(
        "Lightmatter Passage M1000", "interposer_area").value
    assert shown(m1000, row("Lightmatter Passage M1000", "areal_density").value)
    assert shown(0.0285 * 46225 / 8, tbps("area_bw_at_lightmatter_m1000"))


def test_bow_and_hbm_shoreline_rows(table):
    row = table.row
    bow = 2 * row("BoW-256", "link_bw").si_value
    assert shown(bow / row("BoW-256", "edge_organic").si_value / 8e12, "96")
    assert shown(bow / row("BoW-256", "edge_interposer").si_value / 8e12, "312")
    lo, hi = (row("HBM PHY", f"edge_per_stack_{m}").value for m in ("min", "max"))
    for mem, bw_lo, bw_hi in (("HBM3", 819, 819), ("HBM3E", 1200, 1280), ("HBM4", 2000, 2000)):
        # "≈" figures in the reference: 819 / 8 = 102 is shown as 100, 2000 / 11 = 182 as 180
        assert bw_lo / hi == pytest.approx(row(mem, "shoreline_density_min").value, rel=0.05)
        assert bw_hi / lo == pytest.approx(row(mem, "shoreline_density_max").value, rel=0.05)


# -- errors ----------------------------------------------------------------------------------
HEADER = "subject,quantity,value,unit,direction,kind,source,note\n"
GOOD = "X,die_area,100,mm2,none,S,https://example.org,\n"


@pytest.mark.parametrize("line, field, expected", [
    ("X,die_area,100,mm2,none,S,,\n", "source", "a source"),
    ("X,die_area,100,mm2,none,,https://example.org,\n", "kind", "one of P, S, D, U"),
    ("X,die_area,100,mm2,none,Q,https://example.org,\n", "kind", "one of P, S, D, U"),
    ("X,nvlink_bw,900,GB/S,bidirectional,S,https://example.org,\n", "unit", "one of Gb/s"),
    ("X,die_area,-5,mm2,none,S,https://example.org,\n", "value", "a finite number >= 0"),
    ("X,die_area,big,mm2,none,S,https://example.org,\n", "value", "a finite number >= 0"),
    ("X,die_area,100,mm2,bidirectional,S,https://example.org,\n", "direction", "'none' for"),
    ("X,nvlink_bw,900,GB/s,both,S,https://example.org,\n", "direction", "one of per_direction"),
    ("X,perimeter,40,mm,none,D,https://example.org,4 sides\n", "note", "the formula"),
    ("X,die_area,100,mm2,none,P,a datasheet,\n", "source", "a URL or DOI"),
])
def test_loader_refuses_bad_rows(tmp_path, line, field, expected):
    path = tmp_path / "bad.csv"
    path.write_text("# comment\n" + HEADER + GOOD.replace("X,", "Y,") + line)
    with pytest.raises(IODataError) as info:
        load_io_table(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}: line 4 (X ") and f").{field} = " in msg, msg
    assert f"expected {expected}" in msg
    assert isinstance(info.value, CaseError)


def test_loader_refuses_bad_structure(tmp_path):
    path = tmp_path / "t.csv"
    for text, match in ((HEADER.replace("kind", "tag") + GOOD, "line 1: header"),
                        (HEADER + GOOD + GOOD, "line 3 \\(X die_area\\): duplicate of line 2"),
                        (HEADER + "X,die_area,100\n", "line 2 = 3: expected 8 fields"),
                        ("# nothing\n", "no header row")):
        path.write_text(text)
        with pytest.raises(IODataError, match=match):
            load_io_table(path)


def test_chip_refuses_wrong_units_and_unknown_names(tmp_path, table):
    path = tmp_path / "t.csv"
    path.write_text(HEADER + GOOD + "X,nvlink_bw,5,mm,none,S,https://example.org,\n")
    with pytest.raises(IODataError, match=r"line 3 \(X nvlink_bw\)\.unit = 'mm': expected a unit "
                                          "of bit/s"):
        load_io_table(path).chip("X")
    with pytest.raises(WafersolveError, match="no chip 'HBM3'"):
        table.chip("HBM3")


def test_unstated_direction_is_never_counted():
    chip = Chip("Y", (Link("serdes", 1e12, "unstated"),), die_area_m2=1e-4)
    with pytest.raises(WafersolveError, match="Y: link 'serdes': direction convention is "
                                              "'unstated'"):
        density(chip, Definition())


@pytest.mark.parametrize("kw, match", [
    ({"direction": "both"}, "Definition.direction = 'both'"),
    ({"hbm": True}, "Definition.hbm = True: expected direction='bidirectional'"),
    ({"links": ("hbm",)}, "Definition.links"),
    ({"links": ()}, "Definition.links = \\(\\): expected link kinds"),
    ({"io_edges": 2}, "Definition.io_edges = 2: expected 1 to 4, with edge='io_edges'"),
    ({"edge": "io_edges", "io_edges": 5}, "Definition.io_edges = 5"),
    ({"dies": "two"}, "Definition.dies"),
])
def test_definition_refuses_bad_choices(kw, match):
    with pytest.raises(WafersolveError, match=match):
        Definition(**kw)


def test_io_edges_must_be_known_or_assumed(table):
    with pytest.raises(WafersolveError, match="B200: the data does not say which edges"):
        density(table.chip("B200"), Definition(edge="io_edges"))
