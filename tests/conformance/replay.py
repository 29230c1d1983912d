#!/usr/bin/env python3
"""Replays recorded MLflow 2.17 HTTP transcripts against a live mlflowc server.

The transcripts in shared/conformance/transcripts record what the official MLflow
client and server said to each other. This module sends every recorded request to
mlflowc in order and judges each live answer under the rules of
shared/conformance/README.md (placeholder binding and substitution, structural JSON
comparison, volatile timestamps, error messages by type, official-crash and
framework-error-page exceptions, 2 ms pacing). Exchanges where mlflowc deliberately
differs are listed in extensions.json next to this file and checked against their
declared outcome instead. It is a library (used by tests/blackbox) and a CLI:

    python3 tests/conformance/replay.py --url http://127.0.0.1:PORT [--strict] [--verbose] T.jsonl...

Only the Python standard library is used.
"""

import argparse
import base64
import collections
import dataclasses
import hashlib
import http.client
import json
import re
import sys
import time
import urllib.parse
from pathlib import Path

DEFAULT_EXTENSIONS_PATH = Path(__file__).with_name("extensions.json")

PACING_SECONDS = 0.002
REQUEST_TIMEOUT_SECONDS = 30
WEEK_MS = 7 * 24 * 3600 * 1000
FUTURE_SLACK_MS = 10 * 60 * 1000
HASH_ONLY_BODY_MODULUS = 251
MIN_SUBSTRING_PLACEHOLDER_LENGTH = 6
REPORT_VALUE_MAX_CHARS = 160

PLACEHOLDER_KIND_BY_KEY = {
    "run_id": "run",
    "run_uuid": "run",
    "experiment_id": "experiment",
    "next_page_token": "token",
    "run_name": "name",
}
PLACEHOLDER_KINDS = ("run", "experiment", "token", "name")
SUBSTRING_PLACEHOLDER_KINDS = ("run", "token", "name")
RUN_NAME_TAG_KEY = "mlflow.runName"
EXPERIMENT_ID_KEYS = ("experiment_id", "experiment_ids")
VOLATILE_TIME_KEYS = frozenset({
    "creation_time", "last_update_time", "creation_timestamp",
    "last_updated_timestamp", "start_time", "end_time", "timestamp",
})
UNORDERED_ARRAY_SORT_FIELD = {"tags": "key", "params": "key", "aliases": "alias"}
RUN_DATA_KEY = "data"
RUN_METRICS_KEY = "metrics"
NONFINITE_MARKER = "$nonfinite"
NONFINITE_FLOATS = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}
ARTIFACT_URI_PREFIX = "mlflow-artifacts:/"
ARTIFACT_URI_EXPERIMENT_SEGMENT = re.compile(r"mlflow-artifacts:/([^/\s'\"]+)")
ARTIFACTS_API_PATH = "/api/2.0/mlflow-artifacts/artifacts"
RUN_ID_IN_TEXT = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
METHODS_WITH_BODY = ("POST", "PUT", "PATCH")


class Absent:
    """Marks a JSON key that one side of a comparison does not have."""

    def __repr__(self):
        return "(absent)"


ABSENT = Absent()


def now_ms():
    return int(time.time() * 1000)


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def json_type_name(value):
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def format_value(value):
    if value is ABSENT:
        return "(absent)"
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, bytes) else repr(value)
    if len(text) > REPORT_VALUE_MAX_CHARS:
        text = text[:REPORT_VALUE_MAX_CHARS] + f"... ({len(text)} chars)"
    return text


def media_type(content_type):
    if content_type is None:
        return None
    return content_type.split(";", 1)[0].strip().lower()


def nonfinite_marker(token):
    return {NONFINITE_MARKER: token}


def parse_live_json(body):
    """Parses a live body; bare NaN/Infinity tokens become $nonfinite markers."""
    return json.loads(body.decode("utf-8"), parse_constant=nonfinite_marker)


def restore_nonfinite(value):
    """Turns $nonfinite markers back into floats that json.dumps writes as bare tokens."""
    if isinstance(value, dict):
        if set(value) == {NONFINITE_MARKER} and value[NONFINITE_MARKER] in NONFINITE_FLOATS:
            return NONFINITE_FLOATS[value[NONFINITE_MARKER]]
        return {key: restore_nonfinite(child) for key, child in value.items()}
    if isinstance(value, list):
        return [restore_nonfinite(child) for child in value]
    return value


def hash_only_body(sha256_hex, length):
    """Regenerates a hash-only body (byte i is i % 251) and checks it against the transcript."""
    body = bytes(index % HASH_ONLY_BODY_MODULUS for index in range(length))
    if hashlib.sha256(body).hexdigest() != sha256_hex:
        raise ValueError(f"hash-only body of {length} bytes does not match sha256 {sha256_hex}")
    return body


def iter_json_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, child in value.items():
            yield key
            yield from iter_json_strings(child)
    elif isinstance(value, list):
        for child in value:
            yield from iter_json_strings(child)


def iter_json_objects(value):
    if isinstance(value, dict):
        yield value
        for child in value.values():
            yield from iter_json_objects(child)
    elif isinstance(value, list):
        for child in value:
            yield from iter_json_objects(child)


def as_list(value):
    return value if isinstance(value, list) else [value]


def experiment_id_text(value):
    if isinstance(value, str):
        return value
    if is_number(value) and float(value).is_integer():
        return str(int(value))
    return None


class Placeholders:
    """Per-transcript map from recorded server-made values to live ones (README §3.2)."""

    def __init__(self):
        self.bound = {kind: {} for kind in PLACEHOLDER_KINDS}
        self.recorded_by_live = {kind: {} for kind in PLACEHOLDER_KINDS}
        self.sent = {kind: set() for kind in PLACEHOLDER_KINDS}
        self._substring_rule = None

    def note_sent(self, request):
        """Records the values a (recorded) request hands to the server, per kind."""
        body = request.get("body_json")
        texts = [request["path"], request.get("body_text", "")]
        texts += [value for values in request["query"].values() for value in values]
        texts += list(iter_json_strings(body))
        for text in texts:
            self.sent["run"].update(RUN_ID_IN_TEXT.findall(text))
        for obj in iter_json_objects(body):
            for key in EXPERIMENT_ID_KEYS:
                if key in obj:
                    texts = (experiment_id_text(value) for value in as_list(obj[key]))
                    self.sent["experiment"].update(text for text in texts if text is not None)
            if isinstance(obj.get("page_token"), str):
                self.sent["token"].add(obj["page_token"])
            if isinstance(obj.get("run_name"), str):
                self.sent["name"].add(obj["run_name"])
            if obj.get("key") == RUN_NAME_TAG_KEY and isinstance(obj.get("value"), str):
                self.sent["name"].add(obj["value"])
        for key in EXPERIMENT_ID_KEYS:
            self.sent["experiment"].update(request["query"].get(key, []))
        self.sent["token"].update(request["query"].get("page_token", []))
        self.sent["name"].update(request["query"].get("run_name", []))

    def bind(self, kind, recorded, live):
        """Binds or checks one placeholder; returns a problem description or None."""
        bound = self.bound[kind]
        if recorded in bound:
            if live != bound[recorded]:
                return f"{kind} placeholder already bound to {format_value(bound[recorded])}"
            return None
        if recorded in self.sent[kind]:
            if live != recorded:
                return f"{kind} value was sent by the client, so the server must echo it unchanged"
            return None
        if live in self.recorded_by_live[kind]:
            other = self.recorded_by_live[kind][live]
            return (f"live {kind} value is already bound to recorded {format_value(other)}:"
                    " the server gave one value to two objects")
        bound[recorded] = live
        self.recorded_by_live[kind][live] = recorded
        self._substring_rule = None
        return None

    def _substring_bindings_and_pattern(self):
        """Rule 1 table (bound values of 6+ characters) and a longest-first regex over it."""
        if self._substring_rule is None:
            bindings = {}
            for kind in SUBSTRING_PLACEHOLDER_KINDS:
                for recorded, live in self.bound[kind].items():
                    if len(recorded) >= MIN_SUBSTRING_PLACEHOLDER_LENGTH:
                        bindings.setdefault(recorded, live)
            alternatives = sorted(bindings, key=len, reverse=True)
            pattern = re.compile("|".join(map(re.escape, alternatives))) if bindings else None
            self._substring_rule = (bindings, pattern)
        return self._substring_rule

    def substitute_string(self, text):
        """Rule 1 (run ids, tokens, names as substrings) and the mlflow-artifacts:/<exp> segment."""
        experiments = self.bound["experiment"]
        text = ARTIFACT_URI_EXPERIMENT_SEGMENT.sub(
            lambda match: ARTIFACT_URI_PREFIX + experiments.get(match.group(1), match.group(1)), text)
        bindings, pattern = self._substring_bindings_and_pattern()
        if pattern is None:
            return text
        return pattern.sub(lambda match: bindings[match.group(0)], text)

    def substitute_experiment_id(self, value):
        recorded = experiment_id_text(value)
        if recorded is None or recorded not in self.bound["experiment"]:
            return value
        live = self.bound["experiment"][recorded]
        if isinstance(value, str) or not live.isdigit():
            return live
        return int(live)

    def substitute_experiment_ids(self, value):
        if isinstance(value, list):
            return [self.substitute_experiment_id(item) for item in value]
        return self.substitute_experiment_id(value)

    def substitute_request_json(self, value):
        """Rule 2 for experiment_id(s) values anywhere in the body, substitute_string elsewhere."""
        if isinstance(value, dict):
            return {key: (self.substitute_experiment_ids(child) if key in EXPERIMENT_ID_KEYS
                          else self.substitute_request_json(child))
                    for key, child in value.items()}
        if isinstance(value, list):
            return [self.substitute_request_json(child) for child in value]
        if isinstance(value, str):
            return self.substitute_string(value)
        return value

    def _substitute_leading_experiment_segment(self, text):
        segment, separator, rest = text.partition("/")
        return self.bound["experiment"].get(segment, segment) + separator + rest

    def substitute_path(self, path):
        prefix = ARTIFACTS_API_PATH + "/"
        if path.startswith(prefix):
            path = prefix + self._substitute_leading_experiment_segment(path[len(prefix):])
        return self.substitute_string(path)

    def substitute_query(self, method, path, query):
        """Returns the query as (name, value) pairs with repeats kept, substituted."""
        pairs = []
        for name, values in query.items():
            for value in values:
                if name in EXPERIMENT_ID_KEYS:
                    value = self.substitute_experiment_id(value)
                elif name == "path" and method == "GET" and path == ARTIFACTS_API_PATH:
                    value = self.substitute_string(self._substitute_leading_experiment_segment(value))
                else:
                    value = self.substitute_string(value)
                pairs.append((name, value))
        return pairs


@dataclasses.dataclass
class PreparedRequest:
    method: str
    target: str
    headers: dict
    body: bytes | None


@dataclasses.dataclass
class LiveResponse:
    status: int
    content_type: str | None
    body: bytes


def encode_request_body(request, placeholders):
    if "body_json" in request:
        if request["body_json"] is None:
            return None
        value = restore_nonfinite(placeholders.substitute_request_json(request["body_json"]))
        return json.dumps(value).encode("utf-8")
    if "body_text" in request:
        return placeholders.substitute_string(request["body_text"]).encode("utf-8")
    if "body_b64" in request:
        return base64.b64decode(request["body_b64"], validate=True)
    if "body_sha256" in request:
        return hash_only_body(request["body_sha256"], request["body_len"])
    raise ValueError("recorded request has no body representation")


def prepare_request(request, placeholders):
    """Builds the live request: recorded path and query after substitution, recorded headers."""
    unexpected_headers = set(request["headers"]) - {"content-type"}
    if unexpected_headers:
        raise ValueError(f"transcripts only record content-type, found {sorted(unexpected_headers)}")
    headers = {}
    if "content-type" in request["headers"]:
        headers["Content-Type"] = request["headers"]["content-type"]
    target = placeholders.substitute_path(request["path"])
    query_pairs = placeholders.substitute_query(request["method"], request["path"], request["query"])
    if query_pairs:
        target += "?" + urllib.parse.urlencode(query_pairs)
    return PreparedRequest(request["method"], target, headers, encode_request_body(request, placeholders))


def send_request(base_url, prepared):
    """Sends one request on a fresh connection with exactly the prepared headers."""
    url = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=REQUEST_TIMEOUT_SECONDS)
    try:
        connection.putrequest(prepared.method, url.path.rstrip("/") + prepared.target,
                              skip_accept_encoding=True)
        for name, value in prepared.headers.items():
            connection.putheader(name, value)
        if prepared.body is not None:
            connection.putheader("Content-Length", str(len(prepared.body)))
        elif prepared.method in METHODS_WITH_BODY:
            connection.putheader("Content-Length", "0")
        connection.endheaders(prepared.body)
        response = connection.getresponse()
        return LiveResponse(response.status, response.getheader("Content-Type"), response.read())
    finally:
        connection.close()


@dataclasses.dataclass
class Difference:
    where: str
    recorded: object
    live: object
    note: str = ""

    def describe(self):
        text = f"{self.where}: recorded {format_value(self.recorded)}, live {format_value(self.live)}"
        return f"{text} ({self.note})" if self.note else text


class TimestampWindow:
    """Accepted range for server-made times: one week before replay start … 10 minutes after now."""

    def __init__(self, replay_started_ms):
        self.earliest_ms = replay_started_ms - WEEK_MS

    def accepts(self, value):
        return self.earliest_ms <= value <= now_ms() + FUTURE_SLACK_MS


@dataclasses.dataclass
class PairedNode:
    path: str
    key: str | None
    recorded_owner: dict | None
    live_owner: dict | None
    recorded: object
    live: object


def child_path(path, key):
    return f"{path}.{key}" if IDENTIFIER.fullmatch(key) else f"{path}[{json.dumps(key)}]"


def unordered_sort_field(key, owner_key):
    if key == RUN_METRICS_KEY and owner_key == RUN_DATA_KEY:
        return "key"
    return UNORDERED_ARRAY_SORT_FIELD.get(key)


def sort_field_value(element, field):
    return element.get(field) if isinstance(element, dict) else element


def sort_label(value):
    return value if isinstance(value, str) else format_value(value)


def sorted_for_comparison(elements, field):
    return sorted(elements, key=lambda element: (
        json.dumps(sort_field_value(element, field), sort_keys=True),
        json.dumps(element, sort_keys=True)))


def paired_nodes(recorded, live, path="$", key=None, owner_key=None,
                 recorded_owner=None, live_owner=None):
    """Walks recorded and live JSON together (README §3.3 pairing), yielding every paired value.

    Children are visited only where both sides have the same container type (and, for
    arrays, the same length); arrays of undefined order are paired after sorting.
    """
    yield PairedNode(path, key, recorded_owner, live_owner, recorded, live)
    if isinstance(recorded, dict) and isinstance(live, dict):
        for child_key, child in recorded.items():
            if child_key in live:
                yield from paired_nodes(child, live[child_key], child_path(path, child_key),
                                        child_key, key, recorded, live)
    elif isinstance(recorded, list) and isinstance(live, list) and len(recorded) == len(live):
        field = unordered_sort_field(key, owner_key)
        if field is None:
            labelled = [(f"[{index}]", element) for index, element in enumerate(recorded)]
            live_elements = live
        else:
            labelled = [(f"[{field}={sort_label(sort_field_value(element, field))}]", element)
                        for element in sorted_for_comparison(recorded, field)]
            live_elements = sorted_for_comparison(live, field)
        for (label, element), live_element in zip(labelled, live_elements):
            yield from paired_nodes(element, live_element, path + label, None, key)


def placeholder_kind(node):
    if not isinstance(node.recorded, str):
        return None
    if node.key in PLACEHOLDER_KIND_BY_KEY:
        return PLACEHOLDER_KIND_BY_KEY[node.key]
    if (node.key == "value" and node.recorded_owner.get("key") == RUN_NAME_TAG_KEY
            and node.live_owner.get("key") == RUN_NAME_TAG_KEY):
        return "name"
    return None


def bind_placeholders(recorded, live, placeholders):
    """Pass 1: binds or checks every placeholder position of a response body."""
    differences = []
    for node in paired_nodes(recorded, live):
        kind = placeholder_kind(node)
        if kind is not None and isinstance(node.live, str):
            problem = placeholders.bind(kind, node.recorded, node.live)
            if problem:
                differences.append(Difference(node.path, node.recorded, node.live, problem))
    return differences


class JsonComparison:
    """Pass 2: structural comparison of one response body (README §3.3)."""

    def __init__(self, placeholders, window, strict, counts):
        self.placeholders = placeholders
        self.window = window
        self.strict = strict
        self.counts = counts

    def compare(self, recorded, live):
        differences = []
        for node in paired_nodes(recorded, live):
            differences.extend(self.check_node(node))
        return differences

    def check_node(self, node):
        recorded, live = node.recorded, node.live
        kind = placeholder_kind(node)
        if kind is not None:
            substituted = self.placeholders.bound[kind].get(recorded, recorded) != recorded
            self.counts["through placeholders" if substituted else "exactly"] += 1
            return [] if isinstance(live, str) else [self.type_difference(node)]
        if (not self.strict and node.key == "message"
                and "error_code" in node.recorded_owner):
            self.counts["error messages by type"] += 1
            return [] if isinstance(live, str) else [
                Difference(node.path, recorded, live, "an error message must be a string")]
        if node.key in VOLATILE_TIME_KEYS and is_number(recorded) and not (
                is_number(live) and live == recorded):
            self.counts["volatile timestamps"] += 1
            return self.check_volatile_time(node)
        if isinstance(recorded, dict):
            return self.check_object_keys(node) if isinstance(live, dict) else [self.type_difference(node)]
        if isinstance(recorded, list):
            if not isinstance(live, list):
                return [self.type_difference(node)]
            if len(recorded) != len(live):
                return [Difference(node.path, recorded, live,
                                   f"array length differs: {len(recorded)} vs {len(live)}")]
            return []
        self.counts["exactly"] += 1
        if json_type_name(recorded) != json_type_name(live):
            return [self.type_difference(node)]
        expected = self.placeholders.substitute_string(recorded) if isinstance(recorded, str) else recorded
        if expected != live:
            note = "after substitution" if expected != recorded else ""
            return [Difference(node.path, expected, live, note)]
        return []

    def check_object_keys(self, node):
        missing = [key for key in node.recorded if key not in node.live]
        extra = [key for key in node.live if key not in node.recorded]
        return ([Difference(child_path(node.path, key), node.recorded[key], ABSENT, "key missing")
                 for key in missing]
                + [Difference(child_path(node.path, key), ABSENT, node.live[key], "unexpected key")
                   for key in extra])

    def check_volatile_time(self, node):
        live = node.live
        if isinstance(live, int) and not isinstance(live, bool) and self.window.accepts(live):
            return []
        return [Difference(node.path, node.recorded, live,
                           "a server-set time must be integer epoch milliseconds within one week"
                           " before replay start and 10 minutes after now")]

    @staticmethod
    def type_difference(node):
        return Difference(node.path, node.recorded, node.live,
                          f"type differs: {json_type_name(node.recorded)} vs {json_type_name(node.live)}")


def is_official_crash(recorded_response):
    """A recorded 5xx without a deliberate MLflow error code (README §3.4)."""
    if recorded_response["status"] < 500:
        return False
    body = recorded_response.get("body_json")
    deliberate = (isinstance(body, dict) and isinstance(body.get("error_code"), str)
                  and body["error_code"] != "INTERNAL_ERROR")
    return not deliberate


def is_framework_error_page(recorded_response):
    return (recorded_response["status"] >= 400
            and media_type(recorded_response["content_type"]) == "text/html")


def first_difference_offset(expected, live):
    for index, (left, right) in enumerate(zip(expected, live)):
        if left != right:
            return index
    return min(len(expected), len(live))


def compare_raw_body(recorded_response, live_body, placeholders, counts):
    counts["raw bodies"] += 1
    if "body_text" in recorded_response:
        expected = placeholders.substitute_string(recorded_response["body_text"])
        try:
            live_text = live_body.decode("utf-8")
        except UnicodeDecodeError:
            return [Difference("body", expected, live_body, "live body is not UTF-8")]
        if live_text != expected:
            offset = first_difference_offset(expected, live_text)
            return [Difference("body", expected, live_text, f"text differs from character {offset}")]
        return []
    if "body_b64" in recorded_response:
        expected_bytes = base64.b64decode(recorded_response["body_b64"])
        if live_body != expected_bytes:
            return [Difference("body", expected_bytes, live_body,
                               f"bytes differ ({len(expected_bytes)} vs {len(live_body)} bytes)")]
        return []
    expected_digest = (recorded_response["body_len"], recorded_response["body_sha256"])
    live_digest = (len(live_body), hashlib.sha256(live_body).hexdigest())
    if live_digest != expected_digest:
        return [Difference("body (length, sha256)", list(expected_digest), list(live_digest))]
    return []


def compare_response(recorded_response, live, placeholders, window, strict=False, counts=None):
    """Judges one live answer against the recorded one; binds placeholders on the way."""
    counts = collections.Counter() if counts is None else counts
    if is_official_crash(recorded_response):
        if live.status >= 400:
            return []
        return [Difference("status", recorded_response["status"], live.status,
                           "the official server crashed here: any error status (>= 400) is accepted")]
    differences = []
    if live.status != recorded_response["status"]:
        differences.append(Difference("status", recorded_response["status"], live.status))
    if is_framework_error_page(recorded_response):
        return differences
    if media_type(live.content_type) != media_type(recorded_response["content_type"]):
        differences.append(Difference("content type", recorded_response["content_type"],
                                      live.content_type, "media types differ"))
    if "body_json" not in recorded_response:
        return differences + compare_raw_body(recorded_response, live.body, placeholders, counts)
    recorded_json = recorded_response["body_json"]
    if recorded_json is None:
        if live.body:
            differences.append(Difference("body", "", live.body.decode("utf-8", "replace"),
                                          "the live body must be empty"))
        return differences
    try:
        live_json = parse_live_json(live.body)
    except (UnicodeDecodeError, ValueError):
        return differences + [Difference("body", recorded_json, live.body.decode("utf-8", "replace"),
                                         "live body is not JSON")]
    differences += bind_placeholders(recorded_json, live_json, placeholders)
    differences += JsonComparison(placeholders, window, strict, counts).compare(recorded_json, live_json)
    return differences


@dataclasses.dataclass(frozen=True)
class Extension:
    scenario: str
    seq: int
    reason: str
    expect_status: int
    expect_error_code: str | None


def load_extensions(path=DEFAULT_EXTENSIONS_PATH):
    """Reads the list of deliberate deviations, keyed by (scenario, seq); rejects malformed entries."""
    entries = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a JSON list")
    extensions = {}
    for entry in entries:
        expect = entry.get("expect") if isinstance(entry, dict) else None
        valid = (isinstance(entry, dict)
                 and set(entry) == {"scenario", "seq", "reason", "expect"}
                 and isinstance(entry["scenario"], str)
                 and isinstance(entry["seq"], int)
                 and isinstance(entry["reason"], str) and entry["reason"].strip()
                 and isinstance(expect, dict)
                 and set(expect) <= {"status", "error_code"}
                 and isinstance(expect.get("status"), int)
                 and isinstance(expect.get("error_code", ""), str))
        if not valid:
            raise ValueError(f"{path}: malformed extension entry {format_value(entry)}")
        key = (entry["scenario"], entry["seq"])
        if key in extensions:
            raise ValueError(f"{path}: duplicate extension for {key}")
        extensions[key] = Extension(entry["scenario"], entry["seq"], entry["reason"],
                                    expect["status"], expect.get("error_code"))
    return extensions


def check_extension(extension, live):
    differences = []
    if live.status != extension.expect_status:
        differences.append(Difference("status", extension.expect_status, live.status,
                                      "extension: expected the declared status"))
    if extension.expect_error_code is not None:
        try:
            live_json = parse_live_json(live.body)
        except (UnicodeDecodeError, ValueError):
            live_json = None
        live_code = live_json.get("error_code", ABSENT) if isinstance(live_json, dict) else ABSENT
        if live_code != extension.expect_error_code:
            differences.append(Difference("$.error_code", extension.expect_error_code, live_code,
                                          "extension: expected the declared error code"))
    return differences


@dataclasses.dataclass
class Transcript:
    scenario: str
    exchanges: list


def load_transcript(path):
    """Loads one scenario file and checks that it is in seq order and names its own scenario."""
    path = Path(path)
    exchanges = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for expected_seq, exchange in enumerate(exchanges, start=1):
        if exchange["seq"] != expected_seq or exchange["scenario"] != path.stem:
            raise ValueError(f"{path}: line {expected_seq} is {exchange['scenario']}#{exchange['seq']}")
    return Transcript(path.stem, exchanges)


@dataclasses.dataclass
class ExchangeResult:
    seq: int
    method: str
    path: str
    live_status: int | None
    differences: list
    extension: Extension | None = None

    @property
    def passed(self):
        return not self.differences


@dataclasses.dataclass
class ScenarioResult:
    scenario: str
    exchanges: list
    counts: collections.Counter

    @property
    def passed(self):
        return sum(result.passed for result in self.exchanges)

    @property
    def failed(self):
        return len(self.exchanges) - self.passed

    @property
    def extensions(self):
        return sum(result.extension is not None for result in self.exchanges)

    def summary(self):
        return (f"{self.scenario}: {self.passed} passed, {self.failed} failed"
                f" ({self.extensions} treated as extensions)")

    def report(self, verbose=False):
        """Readable lines: the summary, then every mismatching exchange (all exchanges if verbose)."""
        lines = [self.summary()]
        for result in self.exchanges:
            if result.passed and not verbose:
                continue
            outcome = "ok" if result.passed else "MISMATCH"
            live = "no answer" if result.live_status is None else f"live {result.live_status}"
            extension = f" [extension: {result.extension.reason}]" if result.extension else ""
            lines.append(f"  #{result.seq} {result.method} {result.path} -> {live}: {outcome}{extension}")
            lines.extend(f"      {difference.describe()}" for difference in result.differences)
        return lines


def wait_for_pacing(last_answer_at):
    if last_answer_at is not None:
        remaining = PACING_SECONDS - (time.monotonic() - last_answer_at)
        if remaining > 0:
            time.sleep(remaining)


def replay_transcript(base_url, transcript, extensions=None, strict=False):
    """Replays one transcript in seq order against base_url and judges every exchange.

    A transport failure (no HTTP answer) ends the replay: the remaining exchanges are
    reported as not replayed and count as failed.
    """
    extensions = {} if extensions is None else extensions
    scenario_extensions = {seq: extension for (scenario, seq), extension in extensions.items()
                           if scenario == transcript.scenario}
    unknown_seqs = set(scenario_extensions) - {exchange["seq"] for exchange in transcript.exchanges}
    if unknown_seqs:
        raise ValueError(f"extensions name missing exchanges {transcript.scenario}#{sorted(unknown_seqs)}")
    placeholders = Placeholders()
    window = TimestampWindow(now_ms())
    counts = collections.Counter()
    results = []
    last_answer_at = None
    transport_failure = None
    for exchange in transcript.exchanges:
        request, recorded_response = exchange["request"], exchange["response"]
        result = ExchangeResult(exchange["seq"], request["method"], request["path"], None, [])
        results.append(result)
        if transport_failure is not None:
            result.differences.append(Difference("exchange", "replayed", "not replayed",
                                                 f"replay stopped after {transport_failure}"))
            continue
        wait_for_pacing(last_answer_at)
        placeholders.note_sent(request)
        prepared = prepare_request(request, placeholders)
        try:
            live = send_request(base_url, prepared)
        except (OSError, http.client.HTTPException) as error:
            transport_failure = f"transport failure at #{exchange['seq']}"
            result.differences.append(Difference("exchange", "an HTTP answer", repr(error),
                                                 "no valid HTTP answer"))
            continue
        last_answer_at = time.monotonic()
        result.live_status = live.status
        result.extension = scenario_extensions.get(exchange["seq"])
        if result.extension is not None:
            result.differences = check_extension(result.extension, live)
        else:
            result.differences = compare_response(recorded_response, live, placeholders,
                                                  window, strict, counts)
    return ScenarioResult(transcript.scenario, results, counts)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Replay MLflow conformance transcripts against a server.")
    parser.add_argument("--url", required=True, help="server base URL, e.g. http://127.0.0.1:5000")
    parser.add_argument("--strict", action="store_true", help="also compare error message texts")
    parser.add_argument("--verbose", action="store_true", help="list every exchange, not only mismatches")
    parser.add_argument("--extensions", type=Path, default=DEFAULT_EXTENSIONS_PATH,
                        help="list of deliberate deviations (default: extensions.json next to this file)")
    parser.add_argument("transcripts", nargs="+", type=Path, help="transcript .jsonl files")
    arguments = parser.parse_args(argv)

    extensions = load_extensions(arguments.extensions)
    totals = collections.Counter()
    counts = collections.Counter()
    for path in arguments.transcripts:
        result = replay_transcript(arguments.url, load_transcript(path), extensions, arguments.strict)
        print("\n".join(result.report(arguments.verbose)), flush=True)
        totals.update(passed=result.passed, failed=result.failed, extensions=result.extensions)
        counts.update(result.counts)
    print("compared: " + ", ".join(f"{counts[name]} {name}" for name in (
        "exactly", "through placeholders", "volatile timestamps", "error messages by type", "raw bodies")))
    print(f"{totals['extensions']} exchanges treated as extensions ({arguments.extensions})")
    print(f"{totals['passed']} passed, {totals['failed']} failed")
    return 1 if totals["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
