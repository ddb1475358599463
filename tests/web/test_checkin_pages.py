"""The check-in pages in-process (Starlette's TestClient): every rule and every bad input.

Each refusal is checked to leave the database file and its write-ahead log
byte-identical (`file_state`).
"""

from __future__ import annotations

import json
import logging
import re

import pytest
from starlette.testclient import TestClient

import db
from outcomes import checkin as words
from outcomes.scales import get_scale
from outcomes.status import analyse_patient
from outcomes_web import make_app
from outcomes_web.guard import MAX_BODY, MAX_FAILURES
from tests.web.checkin_clinic import (
    answers,
    build,
    csrf_of,
    days_ago,
    file_state,
    issue,
    stored,
)

NINE_ONES = [1] * 9


@pytest.fixture
def clinic(tmp_path):
    path = tmp_path / "clinic.db"
    build(path)
    return path


def client_of(path) -> TestClient:
    return TestClient(make_app(path), raise_server_exceptions=False)


def open_form(client, token):
    page = client.get(f"/c/{token}")
    assert page.status_code == 200, page.text
    return page


def test_form_shows_every_phq9_item_and_answer_as_scored_greeting_by_first_name(clinic):
    """One labelled fieldset per item with the scale's own words; first name only, no id or birth date."""
    link = issue(clinic)
    page = open_form(client_of(clinic), link.token)
    html = page.text
    scale = get_scale("phq9")
    legends = re.findall(r"<legend>(.*?)</legend>", html, re.S)
    assert len(re.findall(r"<fieldset", html)) == 9 == len(legends)
    for n in range(1, 10):
        assert scale.item_label(n).rstrip("?") in legends[n - 1]
        for value, label in enumerate(scale.option_labels):
            assert f'name="phq9_{n}" value="{value}"' in html
            assert f"<span>{label}</span>" in html
    assert "Hello Anna," in html
    for secret in ("Maria", "Example", "P001", "1980", "anna@example.org", link.token):
        assert secret not in html.replace(f"/c/{link.token}", "")
    assert "Ketamine clinic" in html


def test_every_response_carries_the_security_headers(clinic):
    """no-store, strict CSP, no framing, no referrer, on pages, refusals and the health check."""
    link = issue(clinic)
    client = client_of(clinic)
    for response in (
        client.get(f"/c/{link.token}"),
        client.get("/c/nonsense"),
        client.get("/health"),
        client.get("/admin"),
        client.get("/code"),
    ):
        h = response.headers
        assert h["cache-control"] == "no-store"
        assert h["x-frame-options"] == "DENY"
        assert h["referrer-policy"] == "no-referrer"
        assert h["content-security-policy"].startswith("default-src 'none'")
        assert "unsafe-inline" not in h["content-security-policy"]
        assert "script-src" not in h["content-security-policy"]  # default-src 'none': no script
        assert "frame-ancestors 'none'" in h["content-security-policy"]
    assert client.get("/health").text == "ok"


def test_sending_stores_self_rated_scores_spends_the_link_and_audits_a_web_checkin(clinic):
    """The answers become a PHQ-9 of rater self; the audit names the web check-in; the link is spent."""
    link = issue(clinic)
    client = client_of(clinic)
    form = open_form(client, link.token)
    sent = client.post(
        f"/c/{link.token}",
        data={"csrf": csrf_of(form.text), **answers([2, 1, 1, 0, 0, 1, 0, 0, 0])},
    )
    assert sent.status_code == 200, sent.text
    assert words.THANK_YOU in sent.text
    assert "Support is available" not in sent.text
    rows = stored(clinic, "SELECT patient_id, scale, items, total, rater FROM assessments")
    assert rows == [("P001", "phq9", "2 1 1 0 0 1 0 0 0", 5, "self")]
    audit = stored(
        clinic,
        "SELECT who, table_name, action, new_value, reason FROM audit WHERE id > 2 ORDER BY id",
    )
    assert audit[1][:3] == (words.WEB_WHO, "assessments", "create")
    assert audit[1][4] == words.AUDIT_REASON
    assert audit[2][:3] == (words.WEB_WHO, "checkin_links", "update")
    assert json.loads(audit[2][3])["event"] == "use"
    assert stored(clinic, "SELECT spent_at IS NOT NULL FROM checkin_links") == [(1,)]


def test_positive_item_9_shows_the_crisis_text_and_raises_the_clinician_alert(clinic):
    """PHQ-9 item 9 = 1: the clinic's crisis text on the thank-you page, and the suicidality alert."""
    database = db.connect(clinic)
    db.set_setting(
        database, "crisis_text", "Call the Example crisis line on 0800 000 000.", "Dr Test"
    )
    database.conn.close()
    link = issue(clinic)
    client = client_of(clinic)
    form = open_form(client, link.token)
    sent = client.post(
        f"/c/{link.token}", data={"csrf": csrf_of(form.text), **answers([1] * 8 + [1])}
    )
    assert sent.status_code == 200
    assert "Call the Example crisis line on 0800 000 000." in sent.text
    assert words.TEAM_TOLD in sent.text
    database = db.connect(clinic)
    mine = db.load_patient(database, "P001")
    status = analyse_patient(mine.data, "phq9", db.load_settings(database), days_ago(0).date())
    assert [a.kind for a in status.alerts] == ["suicidality_item"]


@pytest.mark.parametrize(
    "make_link, status, text",
    [
        (lambda p: issue(p, start=days_ago(10)), 410, words.LINK_WORDS[words.EXPIRED]),
        (lambda p: issue(p, start=days_ago(-3)), 403, "This check-in link is not open yet."),
    ],
    ids=["expired", "not-yet-open"],
)
def test_a_link_outside_its_window_says_so_and_writes_nothing(clinic, make_link, status, text):
    """Expired (its expiry audited once, at start-up) or not yet open: a kind page, no form, no write."""
    link = make_link(clinic)
    client = client_of(clinic)  # start-up records expiries (audit) before the snapshot
    before = file_state(clinic)
    for response in (
        client.get(f"/c/{link.token}"),
        client.post(f"/c/{link.token}", data=answers(NINE_ONES)),
    ):
        assert response.status_code == status
        assert text in response.text
        assert "<form" not in response.text
    assert file_state(clinic) == before


def test_expiry_is_audited_once(clinic):
    """A link past its end gets one audit row saying it expired unused."""
    issue(clinic, start=days_ago(10))
    client_of(clinic)
    client_of(clinic)
    rows = stored(clinic, "SELECT new_value FROM audit WHERE table_name = 'checkin_links'")
    assert [json.loads(r[0])["event"] for r in rows] == ["issue", "expire"]


def test_spent_link_refuses_a_second_send_and_writes_nothing(clinic):
    """The same form sent twice: the second gets the spent words; one score is stored."""
    link = issue(clinic)
    client = client_of(clinic)
    form = {"csrf": csrf_of(open_form(client, link.token).text), **answers(NINE_ONES)}
    assert client.post(f"/c/{link.token}", data=form).status_code == 200
    before = file_state(clinic)
    again = client.post(f"/c/{link.token}", data=form)
    assert again.status_code == 410
    assert words.LINK_WORDS[words.SPENT] in again.text
    assert client.get(f"/c/{link.token}").status_code == 410
    assert file_state(clinic) == before
    assert stored(clinic, "SELECT count(*) FROM assessments") == [(1,)]


def test_revoked_link_says_so_and_writes_nothing(clinic):
    link = issue(clinic)
    client = client_of(clinic)
    form = {"csrf": csrf_of(open_form(client, link.token).text), **answers(NINE_ONES)}
    database = db.connect(clinic)
    from db.checkins import revoke_link

    revoke_link(database, link.link.id, "Dr Test", "sent to the wrong patient")
    database.conn.close()
    before = file_state(clinic)
    refused = client.post(f"/c/{link.token}", data=form)
    assert refused.status_code == 410
    assert words.LINK_WORDS[words.REVOKED] in refused.text
    assert file_state(clinic) == before


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # one character changed
        lambda t: t[:-1],  # cut short
        lambda t: t + "x",  # too long
        lambda t: "../../etc/passwd",
        lambda t: "%00" + t[3:],
    ],
    ids=["changed", "short", "long", "path", "nul"],
)
def test_tampered_token_is_unknown_and_writes_nothing(clinic, tamper):
    link = issue(clinic)
    client = client_of(clinic)
    form = {"csrf": csrf_of(open_form(client, link.token).text), **answers(NINE_ONES)}
    before = file_state(clinic)
    bad = tamper(link.token)
    got = client.get(f"/c/{bad}")
    assert got.status_code == 404
    posted = client.post(f"/c/{bad}", data=form)
    assert posted.status_code == 404
    assert words.UNKNOWN_LINK in posted.text or "does not exist" in posted.text
    assert file_state(clinic) == before


def test_another_patients_token_cannot_carry_this_patients_form(clinic):
    """Anna's form (its signed field) posted to Ben's link is refused; Ben's link stays open."""
    anna, ben = issue(clinic, "P001"), issue(clinic, "P002")
    client = client_of(clinic)
    form = {"csrf": csrf_of(open_form(client, anna.token).text), **answers(NINE_ONES)}
    before = file_state(clinic)
    refused = client.post(f"/c/{ben.token}", data=form)
    assert refused.status_code == 403
    assert words.FORM_EXPIRED in refused.text
    refused = client.post(f"/c/{ben.token}", data={**form, "patient_id": "P001"})
    assert refused.status_code in (400, 403)
    assert file_state(clinic) == before
    assert "Hello Ben," in open_form(client, ben.token).text


def test_missing_answers_come_back_marked_with_the_given_ones_kept(clinic):
    link = issue(clinic)
    client = client_of(clinic)
    csrf = csrf_of(open_form(client, link.token).text)
    before = file_state(clinic)
    partial = {k: v for k, v in answers([2] * 9).items() if k not in ("phq9_4", "phq9_9")}
    back = client.post(f"/c/{link.token}", data={"csrf": csrf, **partial})
    assert back.status_code == 422
    assert words.MISSING_ANSWERS in back.text
    assert re.findall(r'<fieldset id="(phq9_\d)" class="missing">', back.text) == [
        "phq9_4",
        "phq9_9",
    ]
    assert 'name="phq9_1" value="2" checked' in back.text
    assert file_state(clinic) == before


@pytest.mark.parametrize(
    "change",
    [
        {"phq9_3": "4"},
        {"phq9_3": "-1"},
        {"phq9_3": "one"},
        {"phq9_3": "١"},  # an Arabic-Indic digit: a digit to Python, not a score
        {"phq9_10": "1"},
        {"notes": "hello"},
        {"gad7_1": "1"},
        {"csrf": ""},
        {"csrf": "123.abc"},
    ],
    ids=[
        "too-high",
        "negative",
        "word",
        "arabic-digit",
        "item-10",
        "notes",
        "other-scale",
        "empty-csrf",
        "forged-csrf",
    ],
)
def test_out_of_range_extra_or_forged_fields_are_refused_whole(clinic, change):
    link = issue(clinic)
    client = client_of(clinic)
    form = {"csrf": csrf_of(open_form(client, link.token).text), **answers(NINE_ONES), **change}
    before = file_state(clinic)
    refused = client.post(f"/c/{link.token}", data=form)
    assert refused.status_code in (400, 403)
    assert words.BAD_REQUEST in refused.text or words.FORM_EXPIRED in refused.text
    assert "Traceback" not in refused.text
    assert file_state(clinic) == before
    assert client.get(f"/c/{link.token}").status_code == 200  # still open


def test_repeated_field_is_refused(clinic):
    link = issue(clinic)
    client = client_of(clinic)
    csrf = csrf_of(open_form(client, link.token).text)
    before = file_state(clinic)
    body = f"csrf={csrf}&" + "&".join(f"phq9_{n}=1" for n in range(1, 10)) + "&phq9_1=3"
    refused = client.post(
        f"/c/{link.token}",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert refused.status_code == 400
    assert file_state(clinic) == before


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("application/json", b'{"phq9_1": 1}'),
        ("multipart/form-data; boundary=x", b"--x--"),
        ("text/plain", b"phq9_1=1"),
        (None, b"phq9_1=1"),
        ("application/x-www-form-urlencoded", b"\xff\xfe=1"),
    ],
    ids=["json", "multipart", "text", "none", "not-utf8"],
)
def test_wrong_content_type_or_encoding_is_refused(clinic, content_type, body):
    link = issue(clinic)
    client = client_of(clinic)
    open_form(client, link.token)
    before = file_state(clinic)
    headers = {"content-type": content_type} if content_type else {}
    refused = client.post(f"/c/{link.token}", content=body, headers=headers)
    assert refused.status_code == 400
    assert words.BAD_REQUEST in refused.text
    assert file_state(clinic) == before


def test_huge_body_is_refused_before_it_is_read(clinic):
    """Over the limit by Content-Length, and when it arrives in chunks without one: 413."""
    link = issue(clinic)
    client = client_of(clinic)
    csrf = csrf_of(open_form(client, link.token).text)
    before = file_state(clinic)
    big = {"csrf": csrf, **answers(NINE_ONES), "pad": "x" * (MAX_BODY + 1)}
    assert client.post(f"/c/{link.token}", data=big).status_code == 413

    def chunks():
        for _ in range(40):
            yield b"a" * 1024

    streamed = client.post(
        f"/c/{link.token}",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert streamed.status_code == 413
    assert file_state(clinic) == before


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_wrong_method_is_refused(clinic, method):
    link = issue(clinic)
    client = client_of(clinic)
    before = file_state(clinic)
    for path in (f"/c/{link.token}", "/code", "/health"):
        assert client.request(method, path).status_code == 405
    assert client.post("/health").status_code == 405
    assert file_state(clinic) == before


@pytest.mark.parametrize("path", ["/", "/admin", "/c", "/c/", "/static/checkin.css", "/docs"])
def test_no_route_beyond_the_checkin_pages(clinic, path):
    assert client_of(clinic).get(path).status_code == 404


def test_failed_attempts_shut_a_client_out_for_a_while(clinic):
    """After MAX_FAILURES unknown links, even a good link gets 'too many attempts'; nothing written."""
    link = issue(clinic)
    client = client_of(clinic)
    before = file_state(clinic)
    for n in range(MAX_FAILURES):
        assert client.get(f"/c/{'A' * 42}{n % 10}").status_code == 404
    shut = client.get(f"/c/{link.token}")
    assert shut.status_code == 429
    assert words.TOO_MANY_TRIES in shut.text
    assert file_state(clinic) == before


def test_cross_site_post_is_refused(clinic):
    link = issue(clinic)
    client = client_of(clinic)
    form = {"csrf": csrf_of(open_form(client, link.token).text), **answers(NINE_ONES)}
    before = file_state(clinic)
    refused = client.post(f"/c/{link.token}", data=form, headers={"sec-fetch-site": "cross-site"})
    assert refused.status_code == 403
    assert file_state(clinic) == before


def test_short_code_opens_the_same_checkin(clinic):
    """The printed code, typed loosely (lower case, spaces, O for 0), leads to the form and stores once."""
    link = issue(clinic)
    client = client_of(clinic)
    entry = client.get("/code")
    assert 'name="code"' in entry.text
    typed = " ".join(link.code[i : i + 4] for i in range(0, 16, 4)).lower().replace("0", "o")
    form = client.post("/code", data={"csrf": csrf_of(entry.text), "code": typed})
    assert form.status_code == 200, form.text
    assert "Hello Anna," in form.text
    # The code travels on in the form's body (a hidden field), never in a URL.
    assert f'name="code" value="{words.code_groups(link.code)}"' in form.text
    assert 'action="/code"' in form.text
    sent = client.post(
        "/code",
        data={"csrf": csrf_of(form.text), "code": words.code_groups(link.code), **answers([0] * 9)},
    )
    assert sent.status_code == 200
    assert words.THANK_YOU in sent.text
    assert stored(clinic, "SELECT total, rater FROM assessments") == [(0, "self")]


def test_a_wrong_code_is_refused_and_counted(clinic):
    issue(clinic)
    client = client_of(clinic)
    csrf = csrf_of(client.get("/code").text)
    before = file_state(clinic)
    for typed in ("0000-0000-0000-0000", "short", "<script>", "!" * 30):
        refused = client.post("/code", data={"csrf": csrf, "code": typed})
        assert refused.status_code == 404
        assert words.UNKNOWN_CODE in refused.text
        assert "<script>" not in refused.text
    assert file_state(clinic) == before


def test_own_progress_is_shown_only_where_the_clinic_allows(clinic):
    """Off by default; with checkin_show_progress on, the thank-you page shows the chart and words."""
    for allowed, pid in ((False, "P001"), (True, "P002")):
        if allowed:
            database = db.connect(clinic)
            db.set_setting(database, "checkin_show_progress", "true", "Dr Test")
            database.conn.close()
        link = issue(clinic, pid)
        client = client_of(clinic)
        csrf = csrf_of(open_form(client, link.token).text)
        sent = client.post(f"/c/{link.token}", data={"csrf": csrf, **answers(NINE_ONES)})
        assert sent.status_code == 200
        assert ('<img class="chart" src="data:image/png;base64,' in sent.text) is allowed
        assert (words.SEE_PROGRESS in sent.text) is allowed


def test_no_token_or_patient_data_in_the_log(clinic, caplog):
    link = issue(clinic)
    client = client_of(clinic)
    with caplog.at_level(logging.INFO, logger="outcomes.checkin"):
        csrf = csrf_of(open_form(client, link.token).text)
        client.post(f"/c/{link.token}", data={"csrf": csrf, **answers([1] * 9)})
        client.get(f"/c/{link.token}x")
    text = caplog.text
    assert "/c/…" in text
    for secret in (link.token, link.token[:12], "P001", "Anna", "anna@example.org"):
        assert secret not in text
