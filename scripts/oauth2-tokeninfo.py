#!/usr/bin/env python3
"""The OAuth2 provider of the local mail stack, as far as Dovecot needs one.

Dovecot's oauth2 passdb asks GET /tokeninfo?access_token=TOKEN whether a
bearer token is valid and whose it is. This answers from a file of
"TOKEN ADDRESS" lines, read at every request, so a test can issue, rotate and
revoke tokens by editing it: {"email": ADDRESS} for a listed token, 401 for
any other.

    oauth2-tokeninfo.py PORT TOKENS-FILE
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

port, tokens_file = int(sys.argv[1]), sys.argv[2]


def owner(token):
    try:
        with open(tokens_file, encoding="utf-8") as tokens:
            for line in tokens:
                fields = line.split()
                if len(fields) == 2 and fields[0] == token:
                    return fields[1]
    except FileNotFoundError:
        pass
    return None


class TokenInfo(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlparse(self.path)
        token = parse_qs(url.query).get("access_token", [""])[0]
        address = owner(token) if url.path == "/tokeninfo" else None
        body = json.dumps({"email": address} if address else {"error": "invalid_token"}).encode()
        self.send_response(200 if address else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # one line per request, without the token
        sys.stderr.write("%s %s\n" % (self.command, urlparse(self.path).path))


ThreadingHTTPServer(("127.0.0.1", port), TokenInfo).serve_forever()
