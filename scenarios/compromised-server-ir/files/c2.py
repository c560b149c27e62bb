#!/usr/bin/env python3
# A stand-in for the attacker's command-and-control server (host "c2", network "internet").
# It records the beacons of the dropper and answers like an unremarkable web server.
import datetime
import http.server
import os

LOG = "/var/log/c2/beacons.log"


class C2(http.server.BaseHTTPRequestHandler):
    server_version = "nginx"
    sys_version = ""

    def answer(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.answer(404, b"not found\n")

    def do_POST(self):
        length = min(int(self.headers.get("Content-Length") or 0), 4096)
        data = self.rfile.read(length).decode(errors="replace")
        if self.path != "/beacon":
            self.answer(404, b"not found\n")
            return
        with open(LOG, "a") as f:
            f.write("%s %s %s\n" % (datetime.datetime.utcnow().isoformat(), self.client_address[0], data))
        self.answer(200, b"ok\n")

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    os.makedirs(os.path.dirname(LOG), exist_ok=True)
    http.server.ThreadingHTTPServer(("0.0.0.0", 8443), C2).serve_forever()
