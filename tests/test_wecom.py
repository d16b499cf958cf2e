"""WeCom corp tags (issue #17 item 4): mark_tag bodies from a sync export, and
the push against a local HTTP server that records and checks every body (the
real endpoint was not reachable from our machines). Pure Python, fast."""

from __future__ import annotations

import csv
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from dbt_helpers import ROOT

from tag_warehouse.wecom import (
    WeComError,
    load_contacts,
    load_mapping,
    mark_tag_bodies,
    push,
    read_export,
    write_bodies,
)

EXPORT_COLUMNS = ["export_id", "customer_id", "kind", "name", "old_value", "new_value"]
ROWS = [
    # entered an audience; level changed vip -> important (two corp tags)
    ["000002_20260630", "C1", "audience", "vip_at_risk", "", "member"],
    ["000002_20260630", "C1", "tag", "customer_level", "vip", "important"],
    # left an audience
    ["000002_20260630", "C2", "audience", "new_customers", "member", ""],
    # a holdout member gets no corp tag; an unmapped tag change sends nothing
    ["000002_20260630", "C3", "audience", "price_sensitive_complainers", "", "holdout"],
    ["000002_20260630", "C3", "tag", "region", "other", "east_china"],
    # a mapped change, but no WeCom contact: reported, not dropped silently
    ["000002_20260630", "C4", "tag", "customer_level", "", "vip"],
]
CONTACTS = {"C1": ("wmC1", "sales_a"), "C2": ("wmC2", "sales_b"), "C3": ("wmC3", "x")}
EXPECTED = [
    {
        "userid": "sales_a",
        "external_userid": "wmC1",
        "add_tag": ["etEXAMPLE_level_important", "etEXAMPLE_vip_at_risk"],
        "remove_tag": ["etEXAMPLE_level_vip"],
    },
    {
        "userid": "sales_b",
        "external_userid": "wmC2",
        "remove_tag": ["etEXAMPLE_new_customers"],
    },
]


@pytest.fixture
def export_file(tmp_path: Path) -> Path:
    path = tmp_path / "crm_changes_000002_20260630.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(EXPORT_COLUMNS)
        writer.writerows(ROWS)
    return path


@pytest.fixture
def contacts_file(tmp_path: Path) -> Path:
    path = tmp_path / "contacts.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_id", "external_userid", "userid"])
        writer.writerows([key, *value] for key, value in CONTACTS.items())
    return path


def test_one_mark_tag_body_per_customer(
    export_file: Path, contacts_file: Path, tmp_path: Path
) -> None:
    result = mark_tag_bodies(
        read_export(export_file),
        load_mapping(ROOT / "seeds" / "wecom_corp_tags.csv"),
        load_contacts(contacts_file),
    )
    assert result.bodies == EXPECTED
    assert result.unmatched == ["C4"]
    paths = write_bodies(result, tmp_path / "out", batch=1)
    assert [path.name for path in paths] == [
        "wecom_mark_tag_000002_20260630_0001.jsonl",
        "wecom_mark_tag_000002_20260630_0002.jsonl",
        "wecom_mark_tag_000002_20260630_unmatched.txt",
    ]
    assert json.loads(paths[1].read_text(encoding="utf-8")) == EXPECTED[1]


def test_a_bad_mapping_names_the_file_and_row(tmp_path: Path) -> None:
    path = tmp_path / "mapping.csv"
    path.write_text("kind,name,value,corp_tag_id\nsegment,a,b,et1\n", encoding="utf-8")
    with pytest.raises(WeComError, match="mapping.csv: row 2: kind is tag or audience"):
        load_mapping(path)
    path.write_text("kind,name,value\n", encoding="utf-8")
    with pytest.raises(WeComError, match="missing: corp_tag_id"):
        load_mapping(path)


class Recorder(BaseHTTPRequestHandler):
    """A stand-in for qyapi.weixin.qq.com: records each call; answers the first
    call with WeCom's frequency-limit code and the second with HTTP 503."""

    calls: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.calls.append({"path": self.path, "body": body})
        if len(self.calls) == 2:
            self.send_response(503)
            self.end_headers()
            return
        code = 45009 if len(self.calls) == 1 else 0
        if body.get("userid") == "refused":
            code = 84061
        answer = json.dumps({"errcode": code, "errmsg": "ok" if not code else "no"})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(answer.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Recorder.calls = []
    httpd = HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_push_sends_every_body_with_retries_and_a_rate_limit(server: str) -> None:
    pauses: list[float] = []
    refused = {"userid": "refused", "external_userid": "wmX", "add_tag": ["et1"]}
    result = push(
        [*EXPECTED, refused],
        server,
        "TOKEN/1",
        rate=1000.0,
        retries=3,
        backoff=0.5,
        sleep=pauses.append,
    )
    assert result.sent == 2
    assert result.retries == 2
    assert result.failed == [(refused, "errcode 84061: no")]
    bodies = [call["body"] for call in Recorder.calls]
    assert bodies == [EXPECTED[0], EXPECTED[0], EXPECTED[0], EXPECTED[1], refused]
    paths = {call["path"] for call in Recorder.calls}
    assert paths == {"/cgi-bin/externalcontact/mark_tag?access_token=TOKEN%2F1"}
    # the retry pauses grow; rate-limit waits (if any) are below 1/rate
    backoffs = [pause for pause in pauses if pause >= 0.5]
    assert backoffs == [0.5, 1.0]
    assert all(pause <= 0.001 for pause in pauses if pause < 0.5)
