#!/usr/bin/env python3
"""Reads hooktop's exports with the tools people use, for the Swift tests.

  interop.py har-schema SCHEMA_DIR FILE   validate a HAR against the HAR 1.2 JSON schema
  interop.py haralyzer FILE               load a HAR with haralyzer; print its entries
  interop.py mitmproxy FILE               load a HAR with mitmproxy's own HAR reader; print its requests
  interop.py h11 FILE                     parse a raw export with h11 as a server would; print its requests
  interop.py mitmproxy-write IN OUT       read a hooktop HAR into mitmproxy flows and write them with
                                          mitmproxy's own HAR writer (lone surrogates for non-UTF-8 bytes)

Each prints one JSON document on stdout (bodies as base64) and exits 0, or
prints the problem on stderr and exits 1.
"""
import base64
import json
import pathlib
import sys


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def har_schema(schema_dir: str, path: str) -> object:
    import jsonschema
    import referencing.jsonschema
    from referencing import Registry, Resource

    schemas = {}
    if not (pathlib.Path(schema_dir) / "har.json").is_file():
        print(f"no HAR schema (har.json) in {schema_dir}", file=sys.stderr)
        sys.exit(1)
    for f in pathlib.Path(schema_dir).glob("*.json"):
        schemas[f.name] = json.loads(f.read_text())
    registry = Registry().with_resources(
        (name, Resource.from_contents(doc, default_specification=referencing.jsonschema.DRAFT6))
        for name, doc in schemas.items()
    )
    validator = jsonschema.Draft6Validator(schemas["har.json"], registry=registry,
                                           format_checker=jsonschema.Draft6Validator.FORMAT_CHECKER)
    har = json.loads(pathlib.Path(path).read_text())
    errors = sorted(validator.iter_errors(har), key=lambda e: list(e.absolute_path))
    if errors:
        for e in errors[:20]:
            print(f"{'/'.join(map(str, e.absolute_path))}: {e.message}", file=sys.stderr)
        sys.exit(1)
    # The format checks must really run: a URI checker must be installed.
    if jsonschema.Draft6Validator.FORMAT_CHECKER.conforms("not a uri", "uri"):
        print("no URI format checker installed (pip install rfc3987)", file=sys.stderr)
        sys.exit(1)
    return {"entries": len(har["log"]["entries"])}


def haralyzer_load(path: str) -> object:
    from haralyzer import HarParser
    parser = HarParser(json.loads(pathlib.Path(path).read_text()))
    out = []
    for entry in parser.har_data["entries"]:
        request = entry["request"]
        out.append({"method": request["method"], "url": request["url"],
                    "headers": [[h["name"], h["value"]] for h in request["headers"]]})
    return out


def mitmproxy_load(path: str) -> object:
    from mitmproxy.io import har
    entries = json.loads(pathlib.Path(path).read_text())["log"]["entries"]
    out = []
    for entry in entries:
        flow = har.request_to_flow(entry)
        out.append({"method": flow.request.method, "url": flow.request.url, "status": flow.response.status_code,
                    "headers": [[k, v] for k, v in flow.request.headers.items(multi=True)],
                    "body_base64": b64(flow.request.raw_content or b"")})
    return out


def mitmproxy_write(source: str, target: str) -> object:
    from mitmproxy.addons.savehar import SaveHar
    from mitmproxy.io import har
    entries = json.loads(pathlib.Path(source).read_text())["log"]["entries"]
    flows = []
    for entry in entries:
        flow = har.request_to_flow(entry)
        exact = entry.get("_hooktop", {}).get("body_base64")
        if exact is not None:
            flow.request.content = base64.b64decode(exact)
        elif "postData" in entry["request"]:
            flow.request.content = entry["request"]["postData"]["text"].encode("utf-8", "surrogateescape")
        flows.append(flow)
    document = SaveHar().make_har(flows)
    pathlib.Path(target).write_text(json.dumps(document, indent=2))
    return {"entries": len(flows)}


def h11_parse(path: str) -> object:
    import h11
    data = pathlib.Path(path).read_bytes()
    out = []
    conn = h11.Connection(h11.SERVER, max_incomplete_event_size=1 << 30)
    conn.receive_data(data)
    conn.receive_data(b"")
    current = None
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA or isinstance(event, h11.ConnectionClosed):
            break
        if isinstance(event, h11.Request):
            current = {"method": event.method.decode(), "target": b64(event.target),
                       "version": "HTTP/" + event.http_version.decode(),
                       "headers": [[n.decode(), b64(v)] for n, v in event.headers.raw_items()], "body": b""}
        elif isinstance(event, h11.Data):
            current["body"] += event.data
        elif isinstance(event, h11.EndOfMessage):
            current["trailers"] = [[n.decode(), b64(v)] for n, v in event.headers.raw_items()]
            current["body"] = b64(current["body"])
            out.append(current)
            # The next request on the same stream: act as if answered. After an
            # HTTP/1.0 request the connection would close: the rest of the file is
            # then read as a new connection, as a client would send it.
            conn.send(h11.Response(status_code=200, headers=[("Content-Length", "0")]))
            conn.send(h11.EndOfMessage())
            if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
                rest, _ = conn.trailing_data
                conn = h11.Connection(h11.SERVER, max_incomplete_event_size=1 << 30)
                conn.receive_data(rest)
                conn.receive_data(b"")
            else:
                conn.start_next_cycle()
    if current is not None and current.get("body") is not None and not isinstance(current["body"], str):
        print("the stream ends inside a request", file=sys.stderr)
        sys.exit(1)
    if conn.their_state not in (h11.IDLE, h11.DONE, h11.CLOSED, h11.MUST_CLOSE):
        print(f"h11 is left in state {conn.their_state}", file=sys.stderr)
        sys.exit(1)
    return out


def main() -> None:
    command, *args = sys.argv[1:]
    result = {"har-schema": lambda: har_schema(*args), "haralyzer": lambda: haralyzer_load(*args),
              "mitmproxy": lambda: mitmproxy_load(*args), "h11": lambda: h11_parse(*args),
              "mitmproxy-write": lambda: mitmproxy_write(*args)}[command]()
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
