#!/usr/bin/python3
"""seeds_from_conformance.py - turns the recorded MLflow conversations in
../shared/conformance/transcripts/*.jsonl into extra seed inputs for the
libFuzzer targets (`make fuzz` runs it when that directory exists).

Usage: seeds_from_conformance.py CONFORMANCE_DIR OUT_DIR

It writes, one file per distinct input, named by its SHA-1:
  OUT_DIR/filter/        the filter strings and order_by lists of every
                         search, in fuzz_filter's format (a first byte for
                         the entity, +5 for order_by clauses, one a line)
  OUT_DIR/json/          every request body (bare NaN/Infinity restored)
  OUT_DIR/http_request/  "METHOD\\nURL\\nCONTENT-TYPE\\nBODY" of every request
  OUT_DIR/page_token/    every page token sent or handed out
OUT_DIR is a build directory: what is copied from the transcripts is never
committed. Only the standard library is used.
"""
import glob
import hashlib
import json
import os
import sys
import urllib.parse

# fuzz_filter's first byte: which search a path belongs to
SEARCH_KINDS = [
    ("/mlflow/runs/search", 0),
    ("/mlflow/experiments/search", 1),
    ("/mlflow/registered-models/search", 2),
    ("/mlflow/model-versions/search", 3),
    ("/mlflow/logged-models/search", 4),
]
ARTIFACT_PREFIX = "/mlflow-artifacts/artifacts/"


def restore_nonfinite(v):
    """The transcripts write a bare NaN as {"$nonfinite": "NaN"}; put the
    token back (as a marker string replaced after dumping)."""
    if isinstance(v, dict):
        if set(v) == {"$nonfinite"}:
            return "\x00NONFINITE:" + v["$nonfinite"] + "\x00"
        return {k: restore_nonfinite(x) for k, x in v.items()}
    if isinstance(v, list):
        return [restore_nonfinite(x) for x in v]
    return v


def dump_body(v):
    text = json.dumps(restore_nonfinite(v), ensure_ascii=False)
    for tok in ("NaN", "Infinity", "-Infinity"):
        text = text.replace('"\\u0000NONFINITE:%s\\u0000"' % tok, tok)
    return text.encode()


def body_bytes(msg, path):
    if "body_json" in msg:
        return b"" if msg["body_json"] is None else dump_body(msg["body_json"])
    if "body_text" in msg:
        return msg["body_text"].encode()
    if "body_b64" in msg and ARTIFACT_PREFIX not in path:
        import base64
        return base64.b64decode(msg["body_b64"])
    return None


class Writer:
    def __init__(self, out):
        self.out = out
        self.counts = {}

    def add(self, target, data):
        if data is None or len(data) > 4096:
            return
        d = os.path.join(self.out, target)
        os.makedirs(d, exist_ok=True)
        name = os.path.join(d, hashlib.sha1(data).hexdigest())
        if not os.path.exists(name):
            with open(name, "wb") as f:
                f.write(data)
            self.counts[target] = self.counts.get(target, 0) + 1


def search_kind(path):
    for suffix, kind in SEARCH_KINDS:
        if path.endswith(suffix):
            return kind
    return None


def values(req, name):
    """Every value of `name` in the request's query and JSON body."""
    out = list(req.get("query", {}).get(name, []))
    body = req.get("body_json")
    if isinstance(body, dict) and name in body:
        v = body[name]
        out.extend(v if isinstance(v, list) else [v])
    return out


def walk_tokens(v, found):
    if isinstance(v, dict):
        for k, x in v.items():
            if k in ("page_token", "next_page_token") and isinstance(x, str):
                found.append(x)
            else:
                walk_tokens(x, found)
    elif isinstance(v, list):
        for x in v:
            walk_tokens(x, found)


def one_exchange(ex, w):
    req, resp = ex.get("request", {}), ex.get("response", {})
    path, method = req.get("path", ""), req.get("method", "GET")
    body = body_bytes(req, path)
    kind = search_kind(path)
    if kind is not None:
        for name in ("filter", "filter_string"):
            for f in values(req, name):
                if isinstance(f, str):
                    w.add("filter", bytes([kind]) + f.encode())
        order = [o for o in values(req, "order_by") if isinstance(o, str)]
        if order:
            w.add("filter", bytes([kind + 5]) + "\n".join(order).encode())
    if body and ARTIFACT_PREFIX not in path:
        w.add("json", body)
    query = urllib.parse.urlencode([(k, v) for k, vs in req.get("query", {}).items() for v in vs])
    url = path + ("?" + query if query else "")
    ctype = req.get("headers", {}).get("content-type", "")
    w.add("http_request", ("%s\n%s\n%s\n" % (method, url, ctype)).encode() + (body or b""))
    tokens = []
    for t in values(req, "page_token"):
        if isinstance(t, str):
            tokens.append(t)
    walk_tokens(resp.get("body_json"), tokens)
    for t in tokens:
        w.add("page_token", t.encode())


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: seeds_from_conformance.py CONFORMANCE_DIR OUT_DIR")
    src, out = sys.argv[1], sys.argv[2]
    w = Writer(out)
    for name in sorted(glob.glob(os.path.join(src, "transcripts", "*.jsonl"))):
        with open(name, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    one_exchange(json.loads(line), w)
    print("seeds from %s: %s" % (src, ", ".join("%s %d new" % kv for kv in sorted(w.counts.items())) or "none new"))


if __name__ == "__main__":
    main()
