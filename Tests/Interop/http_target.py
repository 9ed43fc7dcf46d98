"""A real HTTP/1.1 server for the forwarding transport's tests: Python's
http.server, keep-alive, answering every request with what it saw.

    python3 http_target.py        # prints "listening PORT", serves until killed

Each answer is JSON: the request's method, target, SHA-256 of its body,
its Content-Length and Host, the connection's number and how many requests
that connection has carried.
"""
import hashlib
import http.server
import itertools
import json
import sys

connections = itertools.count(1)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        self.connection_number = next(connections)
        self.served = 0

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self.served += 1
        out = json.dumps({
            "method": self.command, "target": self.path, "sha256": hashlib.sha256(body).hexdigest(),
            "length": self.headers.get("Content-Length"), "host": self.headers.get("Host"),
            "transfer_encoding": self.headers.get("Transfer-Encoding"),
            "connection": self.connection_number, "served": self.served,
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = answer

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print("listening", server.server_address[1], flush=True)
server.serve_forever()
