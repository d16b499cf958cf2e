"""WeCom (企业微信) corp tags from a CRM sync export (issue #17 item 4).

Turns the rows of one `scripts/sync.py export` file into the bodies of WeCom's
`externalcontact/mark_tag` calls, one per customer:

    {"userid": ..., "external_userid": ..., "add_tag": [...], "remove_tag": [...]}

- which corp tag a tag value or an audience stands for comes from the mapping
  seed seeds/wecom_corp_tags.csv (kind, name, value, corp_tag_id); an audience's
  value is `member` (holdout members get no corp tag: they must not be
  contacted), a row whose values map to no corp tag is not sent;
- the WeCom ids of a customer come from a contacts file (customer_id,
  external_userid, userid: the member who added the contact, which mark_tag
  requires); a customer with a mapped change but no contact is listed in the
  result's `unmatched`, never dropped silently.

`push` POSTs the bodies to `<base_url>/cgi-bin/externalcontact/mark_tag` with an
access token, at most `rate` calls a second, retrying a call on a network error,
an HTTP 5xx, WeCom's system-busy (-1) or frequency-limit (45009, 45033) codes with
a growing pause; other error codes are failures, reported with the body. Adding
a tag a contact has (or removing one it lacks) changes nothing, so a retried or
re-pushed body is harmless. The real endpoint (qyapi.weixin.qq.com) was not
reachable from our machines: push is tested against a local HTTP server only."""

from __future__ import annotations

import csv
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

MARK_TAG_PATH = "/cgi-bin/externalcontact/mark_tag"
RETRY_CODES = {-1, 45009, 45033}
# bodies per JSON Lines file written by `wecom`
BATCH_SIZE = 1000
MAPPING_COLUMNS = ["kind", "name", "value", "corp_tag_id"]
CONTACT_COLUMNS = ["customer_id", "external_userid", "userid"]


class WeComError(Exception):
    """A mapping, contacts or export file WeCom bodies cannot be built from."""


def _read_csv(path: Path, columns: list[str], what: str) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            missing = [name for name in columns if name not in header]
            if missing:
                raise WeComError(
                    f"{path}: the {what} needs the columns {', '.join(columns)}"
                    f" (missing: {', '.join(missing)})"
                )
            rows = list(reader)
    except OSError as error:
        raise WeComError(f"{path}: cannot read the {what} ({error})") from None
    for number, row in enumerate(rows, start=2):
        empty = [name for name in columns if not (row.get(name) or "").strip()]
        if empty:
            raise WeComError(f"{path}: row {number}: empty {', '.join(empty)}")
    return rows


def load_mapping(path: Path) -> dict[tuple[str, str, str], str]:
    """(kind, name, value) -> corp tag id."""
    mapping: dict[tuple[str, str, str], str] = {}
    for number, row in enumerate(_read_csv(path, MAPPING_COLUMNS, "mapping"), 2):
        key = (row["kind"].strip(), row["name"].strip(), row["value"].strip())
        if key[0] not in ("tag", "audience"):
            raise WeComError(f"{path}: row {number}: kind is tag or audience")
        if key in mapping:
            raise WeComError(f"{path}: row {number}: {key} is mapped twice")
        mapping[key] = row["corp_tag_id"].strip()
    return mapping


def load_contacts(path: Path) -> dict[str, tuple[str, str]]:
    """customer_id -> (external_userid, userid)."""
    contacts: dict[str, tuple[str, str]] = {}
    for number, row in enumerate(_read_csv(path, CONTACT_COLUMNS, "contacts"), 2):
        customer = row["customer_id"].strip()
        if customer in contacts:
            raise WeComError(f"{path}: row {number}: customer {customer} twice")
        contacts[customer] = (row["external_userid"].strip(), row["userid"].strip())
    return contacts


def read_export(path: Path) -> list[dict[str, Any]]:
    """The rows of a sync export file (CSV, Parquet or JSON Lines)."""
    if not path.exists():
        raise WeComError(f"{path}: no such export file")
    with duckdb.connect() as con:
        literal = str(path).replace("'", "''")
        cursor = con.execute(
            f"select customer_id, kind, name, old_value, new_value, export_id"
            f" from '{literal}' order by customer_id, kind, name"
        )
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@dataclass
class Bodies:
    export_id: str | None
    bodies: list[dict[str, Any]] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # customers without contact


def mark_tag_bodies(
    rows: Iterable[dict[str, Any]],
    mapping: dict[tuple[str, str, str], str],
    contacts: dict[str, tuple[str, str]],
) -> Bodies:
    """One mark_tag body per customer with a mapped change (see the module doc)."""
    changes: dict[str, tuple[set[str], set[str]]] = {}
    export_id = None
    for row in rows:
        export_id = export_id or row.get("export_id")
        kind, name = row["kind"], row["name"]
        before, after = row["old_value"], row["new_value"]
        old = None if before is None else mapping.get((kind, name, str(before)))
        new = None if after is None else mapping.get((kind, name, str(after)))
        if old == new:
            continue
        add, remove = changes.setdefault(row["customer_id"], (set(), set()))
        if new is not None:
            add.add(new)
        if old is not None:
            remove.add(old)
    result = Bodies(export_id)
    for customer in sorted(changes):
        add, remove = changes[customer]
        add, remove = add - remove, remove - add
        if not add and not remove:
            continue
        if customer not in contacts:
            result.unmatched.append(customer)
            continue
        external_userid, userid = contacts[customer]
        body: dict[str, Any] = {"userid": userid, "external_userid": external_userid}
        if add:
            body["add_tag"] = sorted(add)
        if remove:
            body["remove_tag"] = sorted(remove)
        result.bodies.append(body)
    return result


def write_bodies(result: Bodies, out_dir: Path, batch: int = BATCH_SIZE) -> list[Path]:
    """The bodies as JSON Lines files of `batch` bodies each, plus the unmatched
    customers (one a line) when there are any; files are named by the export."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"wecom_mark_tag_{result.export_id or 'export'}"
    paths = []
    for number, start in enumerate(range(0, len(result.bodies), batch), start=1):
        path = out_dir / f"{stem}_{number:04d}.jsonl"
        lines = (
            json.dumps(body, ensure_ascii=False, sort_keys=True)
            for body in result.bodies[start : start + batch]
        )
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    if result.unmatched:
        path = out_dir / f"{stem}_unmatched.txt"
        path.write_text("\n".join(result.unmatched) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


@dataclass
class PushResult:
    sent: int = 0
    retries: int = 0
    failed: list[tuple[dict[str, Any], str]] = field(default_factory=list)


def _post(url: str, body: dict[str, Any], timeout: float) -> tuple[int, str]:
    """(WeCom errcode, message) of one call; raises on a network or HTTP error."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer = json.loads(response.read().decode("utf-8"))
    return int(answer.get("errcode", -1)), str(answer.get("errmsg", ""))


def push(
    bodies: Iterable[dict[str, Any]],
    base_url: str,
    access_token: str,
    rate: float = 20.0,
    retries: int = 3,
    backoff: float = 1.0,
    timeout: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
) -> PushResult:
    """POST each body once it is due (at most `rate` calls a second), retrying
    temporary failures up to `retries` times (pauses backoff, 2x backoff, ...)."""
    if rate <= 0:
        raise WeComError("--rate must be a positive number of calls a second")
    query = urllib.request.quote(access_token, safe="")
    url = f"{base_url.rstrip('/')}{MARK_TAG_PATH}?access_token={query}"
    interval = 1.0 / rate
    result = PushResult()
    last = -interval
    for body in bodies:
        for attempt in range(retries + 1):
            wait = last + interval - time.monotonic()
            if wait > 0:
                sleep(wait)
            last = time.monotonic()
            try:
                code, message = _post(url, body, timeout)
                temporary = code in RETRY_CODES
                problem = f"errcode {code}: {message}"
            except urllib.error.HTTPError as error:
                code, temporary = error.code, error.code >= 500
                problem = f"HTTP {error.code}"
            except (urllib.error.URLError, TimeoutError, OSError) as error:
                code, temporary, problem = -1, True, f"network error: {error}"
            if code == 0:
                result.sent += 1
                break
            if not temporary or attempt == retries:
                result.failed.append((body, problem))
                break
            result.retries += 1
            sleep(backoff * 2**attempt)
    return result
