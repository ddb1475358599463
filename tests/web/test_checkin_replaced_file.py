"""The check-in server and a clinic file replaced under it (issue 21).

A backup moved over the file while `outcomes serve` runs: the server's connection still has the
old, unlinked file. A check-in sent then is refused with the page's "not saved" words and
written nowhere: not into the old file (gone with the restore), not into the restored one (a new
server thread's connection would have opened it). Every page says so until the server restarts.
"""

from __future__ import annotations

import os

from click.testing import CliRunner

from outcomes import checkin as words
from outcomes_cli.cli import cli
from tests.web.checkin_clinic import answers, build, csrf_of, issue, stored
from tests.web.test_checkin_pages import client_of, open_form


def test_a_checkin_sent_after_the_file_was_replaced_is_refused_and_stored_nowhere(tmp_path):
    path = tmp_path / "clinic.db"
    build(path)
    link = issue(path)
    backup = tmp_path / "backup.db"
    assert CliRunner().invoke(cli, ["--db", str(path), "backup", str(backup)]).exit_code == 0
    client = client_of(path)
    form = open_form(client, link.token)  # the server has opened the file
    os.replace(backup, path)  # a hand restore while it runs
    sent = client.post(f"/c/{link.token}", data={"csrf": csrf_of(form.text), **answers([1] * 9)})
    assert sent.status_code == 503 and words.UNAVAILABLE in sent.text
    assert client.get(f"/c/{link.token}").status_code == 503
    health = client.get("/health")
    assert health.status_code == 503 and "restart" in health.text
    assert stored(path, "SELECT count(*) FROM assessments WHERE rater = 'self'") == [(0,)]
    assert stored(path, "SELECT spent_at FROM checkin_links") == [(None,)]
