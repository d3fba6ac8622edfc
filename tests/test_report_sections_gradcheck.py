"""The Gradient checks section, its figure and the slide's gradient-check evidence, written from
the experiment's structured records (``extra``: caught, bugs, correct, missed, skipped...)."""
from diffcompare.experiments.gradcheck import (
    DETECTION,
    FALSE_ALARMS,
    INCONCLUSIVE,
    MODEL,
    OURS,
    SECTION,
    UNRESOLVABLE_PASSED,
)
from diffcompare.records import Record
from diffcompare.report.fig_gradcheck import fig_gradcheck
from diffcompare.report.section import MAX_BULLETS
from diffcompare.report.sections import gradcheck as sec
from diffcompare.report.slide import slide_text

MISSED = {"kind": "rel-1e-4", "family": "grad", "seed": 0, "dtype": "float32", "status": "pass",
          "correct_status": "pass"}


def _records(checker, dtype, family, caught, bugs, correct, alarms, inc_correct=0, inc_bugs=0, missed=(),
             unresolvable=0, unresolvable_passed=0):
    """One checker in one setting, with the fields experiments.gradcheck records."""
    base = {"dtype": dtype, "suite": "own", "family": family, "settings": "defaults"}
    setting = f"{dtype}, own suite, {family}"
    out = [Record(SECTION, MODEL, checker, DETECTION, caught / bugs, "fraction", setting, "seeded bugs",
                  dict(base, caught=caught, bugs=bugs, caught_unpaired=caught, missed=list(missed))),
           Record(SECTION, MODEL, checker, FALSE_ALARMS, alarms, "count", setting, "",
                  dict(base, correct=correct, alarms=[], errors=0, inconclusive=inc_correct)),
           Record(SECTION, MODEL, checker, INCONCLUSIVE, inc_correct + inc_bugs, "count", setting, "",
                  dict(base, correct=inc_correct, bugs=inc_bugs))]
    if unresolvable:
        out.append(Record(SECTION, MODEL, checker, UNRESOLVABLE_PASSED, unresolvable_passed, "count", setting, "",
                          dict(base, unresolvable=unresolvable)))
    return out


def fixed():
    recs = _records(OURS, "float32", "first-order", 3, 4, 5, 0, inc_correct=1, missed=[MISSED],
                    unresolvable=2)
    recs += _records(OURS, "float32", "vjp/jvp", 2, 2, 2, 0)
    recs += _records("peer.check", "float32", "first-order", 2, 4, 5, 2, unresolvable=2, unresolvable_passed=1)
    recs.append(Record(SECTION, MODEL, "peer", DETECTION, None, "", "float32, own suite, first-order",
                       "skipped: peer is not installed",
                       {"dtype": "float32", "suite": "own", "family": "first-order", "skipped": "peer is not installed"}))
    return recs


def test_gradcheck_conclusions_from_records():
    recs = fixed()
    lines = sec._conclude_gradcheck(recs)
    gc = " ".join(lines)
    assert len(lines) <= MAX_BULLETS
    assert lines[0] == ("diffcompare (first-order, vjp/jvp): caught 5/6 (83%); 0 false alarms on 7 correct; "
                        "1 inconclusive (1 correct, 0 buggy); 0 of 2 unresolvable cases reported pass.")
    # a peer is compared with ours on the settings where it ran (first-order only here)
    assert lines[1] == ("peer.check (first-order): caught 2/4 (50%) -- ours 3/4 (75%) on the same cases; "
                        "2 false alarms on 5 correct; 0 inconclusive (0 correct, 0 buggy); 1 of 2 unresolvable "
                        "cases reported pass.")
    assert "Missed by our check: rel-1e-4 in float32 (1 case, status pass, correct twin pass)." in lines
    assert "peer skipped: peer is not installed (left out of every share, not counted as 0%)." in gc
    assert sec._takeaway_gradcheck(recs) == ("Our gradient check caught 5 of 6 seeded bugs (83%) with 0 false alarms "
                                             "on 7 correct derivatives; on the cases each peer runs, peer.check 50% "
                                             "(2 false alarms).")
    assert sec._details_gradcheck(recs) == ["peer.check ran with: float32: defaults."]


def test_gradcheck_table_one_row_per_checker_and_setting():
    (caption, header, rows), = sec._tables_gradcheck(fixed())
    assert header[:4] == ("setting", "checker", "bugs caught", "false alarms / correct")
    assert rows[0] == ("float32, own suite, first-order", OURS, "3/4 (75%)", "0/5", "1 / 0", "0/2")
    assert ("float32, own suite, first-order", "peer", "skipped: peer is not installed", "", "", "") in rows
    assert ("float32, own suite, vjp/jvp", OURS, "2/2 (100%)", "0/2", "0 / 0", "") in rows


def test_slide_reads_the_same_records():
    text = slide_text(fixed())
    assert "our gradient check catches 5 of 6 seeded bugs in hand-written gradients (83.3%, 2 settings" in text
    assert "with 0 false alarms on 7 correct gradients" in text


def test_figure_draws_only_checkers_that_ran_and_says_what_is_skipped():
    fig = fig_gradcheck(fixed())
    (l1, r1), (l2, r2) = fig.axes[0:2], fig.axes[2:4]
    heights = sorted(round(p.get_height()) for p in l1.patches)
    assert heights == [50, 75]                                  # ours and peer.check; the skipped peer absent
    assert [round(p.get_height()) for p in l2.patches] == [100]   # vjp/jvp: ours alone, no empty slot
    assert any("every correct derivative passed" in t.get_text() for t in r2.texts)
    # first-order, correct derivatives: ours 0% fail + 20% inconclusive, peer 40% fail
    assert sorted(round(p.get_height()) for p in r1.patches) == [0, 0, 20, 40]
    assert any("peer" in t.get_text() and "skipped" in t.get_text() for t in fig.texts)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [OURS, "peer.check"]


def test_section_declares_what_it_reads_and_defines_its_terms():
    assert set(sec.SECTION.reads) == {(SECTION, m) for m in (DETECTION, FALSE_ALARMS, INCONCLUSIVE,
                                                              UNRESOLVABLE_PASSED)}
    words = " ".join(sec._conclude_gradcheck(fixed()) + [sec._takeaway_gradcheck(fixed())])
    for term in ("false alarm", "inconclusive", "unresolvable", "vjp/jvp", "correct twin"):
        assert term in words and any(term in k for k in sec.GLOSSARY), term
