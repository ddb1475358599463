"""The scale registry against clinical-spec section 1: items, ranges, scoring, bands, codes."""

import pytest

from outcomes.scales import LOCAL_CODE_SYSTEM, OUTCOME_SCALE_IDS, SCALE_IDS, SCALES, get_scale

# Written out from the spec's table, not from the code: (scale, total, band).
# Both ends of every band of every scale.
BAND_EDGES = [
    ("phq9", 0, "minimal"),
    ("phq9", 4, "minimal"),
    ("phq9", 5, "mild"),
    ("phq9", 9, "mild"),
    ("phq9", 10, "moderate"),
    ("phq9", 14, "moderate"),
    ("phq9", 15, "moderately severe"),
    ("phq9", 19, "moderately severe"),
    ("phq9", 20, "severe"),
    ("phq9", 27, "severe"),
    ("gad7", 0, "minimal"),
    ("gad7", 4, "minimal"),
    ("gad7", 5, "mild"),
    ("gad7", 9, "mild"),
    ("gad7", 10, "moderate"),
    ("gad7", 14, "moderate"),
    ("gad7", 15, "severe"),
    ("gad7", 21, "severe"),
    ("madrs", 0, "normal"),
    ("madrs", 6, "normal"),
    ("madrs", 7, "mild"),
    ("madrs", 19, "mild"),
    ("madrs", 20, "moderate"),
    ("madrs", 34, "moderate"),
    ("madrs", 35, "severe"),
    ("madrs", 60, "severe"),
    ("hamd17", 0, "none"),
    ("hamd17", 7, "none"),
    ("hamd17", 8, "mild"),
    ("hamd17", 13, "mild"),
    ("hamd17", 14, "moderate"),
    ("hamd17", 18, "moderate"),
    ("hamd17", 19, "severe"),
    ("hamd17", 22, "severe"),
    ("hamd17", 23, "very severe"),
    ("hamd17", 52, "very severe"),
    ("qids_sr16", 0, "none"),
    ("qids_sr16", 5, "none"),
    ("qids_sr16", 6, "mild"),
    ("qids_sr16", 10, "mild"),
    ("qids_sr16", 11, "moderate"),
    ("qids_sr16", 15, "moderate"),
    ("qids_sr16", 16, "severe"),
    ("qids_sr16", 20, "severe"),
    ("qids_sr16", 21, "very severe"),
    ("qids_sr16", 27, "very severe"),
    ("bdi2", 0, "minimal"),
    ("bdi2", 13, "minimal"),
    ("bdi2", 14, "mild"),
    ("bdi2", 19, "mild"),
    ("bdi2", 20, "moderate"),
    ("bdi2", 28, "moderate"),
    ("bdi2", 29, "severe"),
    ("bdi2", 63, "severe"),
]


@pytest.mark.parametrize("scale_id, total, band", BAND_EDGES)
def test_severity_band_edges_match_the_spec(scale_id, total, band):
    """Each band's lower and upper bound (inclusive) gives that band's label."""
    assert get_scale(scale_id).band(total) == band


def test_cadss_has_no_bands_and_is_not_an_outcome():
    """CADSS is a side-effect measure: no severity bands, no remission cut."""
    cadss = get_scale("cadss")
    assert cadss.band(40) == ""
    assert cadss.remission_cut is None
    assert not cadss.is_outcome
    assert "cadss" not in OUTCOME_SCALE_IDS


@pytest.mark.parametrize(
    "scale_id, n_items, item_max, total_max, remission, safety_item",
    [
        ("phq9", 9, 3, 27, 4, 9),
        ("gad7", 7, 3, 21, 4, None),
        ("madrs", 10, 6, 60, 10, 10),
        ("qids_sr16", 16, 3, 27, 5, 12),
        ("bdi2", 21, 3, 63, 13, 9),
        ("cadss", 23, 4, 92, None, None),
    ],
)
def test_scale_facts_match_the_spec_table(
    scale_id, n_items, item_max, total_max, remission, safety_item
):
    """Item count, item range, total range, remission cut and safety item per scale."""
    scale = get_scale(scale_id)
    assert scale.n_items == n_items
    assert set(scale.item_max) == {item_max}
    assert scale.total_max == total_max
    assert scale.remission_cut == remission
    assert scale.safety_item == safety_item


def test_hamd17_mixes_0_to_4_and_0_to_2_items():
    """HAM-D items 1-3, 7-11, 15 go to 4; items 4-6, 12-14, 16-17 go to 2; total 0-52."""
    hamd = get_scale("hamd17")
    wide = [1, 2, 3, 7, 8, 9, 10, 11, 15]
    assert [n for n in range(1, 18) if hamd.item_max[n - 1] == 4] == wide
    assert [n for n in range(1, 18) if hamd.item_max[n - 1] == 2] == [4, 5, 6, 12, 13, 14, 16, 17]
    assert hamd.total(hamd.item_max) == 52 == hamd.total_max
    assert (hamd.remission_cut, hamd.safety_item) == (7, 3)


def test_every_scale_id_of_the_interface_is_registered():
    """The seven ids of interface.md, in that order."""
    assert SCALE_IDS == ("phq9", "gad7", "madrs", "hamd17", "qids_sr16", "bdi2", "cadss")
    assert set(SCALES) == set(SCALE_IDS)


def test_unknown_scale_is_refused_naming_the_allowed_ids():
    """get_scale('phq10') raises KeyError that lists the known scales."""
    with pytest.raises(KeyError, match="phq10.*phq9, gad7"):
        get_scale("phq10")


def test_qids_total_takes_the_highest_item_of_each_domain():
    """QIDS-SR16: max(1-4) + 5 + max(6-9) + 10..14 + max(15-16), not the plain sum."""
    qids = get_scale("qids_sr16")
    # sleep 1,3,0,2 -> 3; mood 2; appetite 0,1,2,0 -> 2; items 10-14: 1+1+0+2+1 = 5;
    # psychomotor 1,3 -> 3. Total 3 + 2 + 2 + 5 + 3 = 15 (the plain sum would be 20).
    items = (1, 3, 0, 2, 2, 0, 1, 2, 0, 1, 1, 0, 2, 1, 1, 3)
    assert sum(items) == 20
    assert qids.total(items) == 15


def test_qids_all_items_at_maximum_score_27():
    """Every QIDS item at 3 gives 3 + 3 + 3 + 15 + 3 = 27, the top of the range."""
    assert get_scale("qids_sr16").total((3,) * 16) == 27


@pytest.mark.parametrize("scale_id", ["phq9", "gad7", "madrs", "hamd17", "bdi2", "cadss"])
def test_other_scales_total_is_the_plain_sum(scale_id):
    """For every scale but QIDS-SR16 the total is the sum of the items."""
    scale = get_scale(scale_id)
    items = tuple(min(n % 3, top) for n, top in enumerate(scale.item_max))
    assert scale.total(items) == sum(items)


def test_loinc_codes_only_where_the_spec_lists_them():
    """PHQ-9 panel 44249-1, total 44261-6, item 9 44260-8; GAD-7 total 70274-6; no others."""
    phq9, gad7 = get_scale("phq9"), get_scale("gad7")
    assert (phq9.loinc_panel, phq9.loinc_total, phq9.loinc_items) == (
        "44249-1",
        "44261-6",
        ((9, "44260-8"),),
    )
    assert (gad7.loinc_total, gad7.loinc_panel, gad7.loinc_items) == ("70274-6", None, ())
    for scale_id in ("madrs", "hamd17", "qids_sr16", "bdi2", "cadss"):
        scale = get_scale(scale_id)
        assert (scale.loinc_total, scale.loinc_panel, scale.loinc_items) == (None, None, ())
        assert scale.local_code() == f"{scale_id}-total"
    assert LOCAL_CODE_SYSTEM != "http://loinc.org"


def test_phq9_and_gad7_ship_full_item_text_others_short_names():
    """Public-domain PHQ-9/GAD-7 carry their wording; MADRS shows short names."""
    assert get_scale("phq9").item_label(9).startswith("Thoughts that you would be better off dead")
    assert get_scale("gad7").item_label(1) == "Feeling nervous, anxious, or on edge"
    assert get_scale("madrs").item_label(1) == "Apparent sadness"
    assert get_scale("madrs").item_label(2) == "Reported sadness"


def test_no_scale_other_than_phq9_and_gad7_has_long_item_wording():
    """Short item names only (at most a few words) for scales that are not free to reproduce."""
    for scale_id in ("madrs", "hamd17", "qids_sr16", "bdi2", "cadss"):
        scale = get_scale(scale_id)
        assert len(scale.item_labels) == scale.n_items
        for label in scale.item_labels:
            assert len(label.split(" (")[0]) <= 40, label


def test_bdi2_lettered_items_are_16_and_18():
    """BDI-II items 16 and 18 offer 1a/1b answers; only their number is stored."""
    assert get_scale("bdi2").lettered_items == (16, 18)
