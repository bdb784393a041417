"""A loopback mock of the Materials Project REST API serving recorded responses (no network).

``MockMPServer(files)`` answers what mp-api's MPRester asks for get_entries_in_chemsys: the
``/heartbeat`` document and ``/materials/thermo/`` pages of the recorded thermo documents in
``tests/data/mp_api/<file>`` (several files are served as one database, one document per
material id, the first file's winning), filtered by ``chemsys`` and ``thermo_types``,
projected on ``_fields`` and paginated with ``_skip``/``_limit`` like the API.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

DATA = Path(__file__).parent / "data" / "mp_api"
FAKE_KEY = "0123456789abcdef0123456789abcdef"  # mp-api requires 32 characters
SERVER_LIFETIME_S = 3600.0
LICL_FILE = "materials_thermo_Cl-Li.json"
LINBO_FILE = "materials_thermo_Li-Nb-O.json"


class MockMPServer:
    """Loopback HTTP server answering the MP API calls mp-api makes for get_entries_in_chemsys."""

    def __init__(self, files: tuple[str, ...] = (LICL_FILE,), lifetime_s: float = 60.0):
        self.heartbeat = json.loads((DATA / "heartbeat.json").read_text())
        pages = [json.loads((DATA / name).read_text()) for name in files]
        docs: dict[str, dict] = {}
        for page in pages:
            for doc in page["data"]:
                docs.setdefault(doc["material_id"], doc)
        self.docs = list(docs.values())
        self.meta = pages[0]["meta"]
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_GET(self):
                server.requests.append(self.path)
                url = urlsplit(self.path)
                path = url.path.rstrip("/")
                if path == "/heartbeat":
                    self._send(200, server.heartbeat)
                elif path == "/materials/thermo":
                    self._send(200, server.thermo_page(parse_qs(url.query)))
                else:
                    self._send(404, {"detail": "Not Found"})

            def _send(self, status, body):
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.timer = threading.Timer(min(lifetime_s, SERVER_LIFETIME_S), self.stop)

    def thermo_page(self, query: dict[str, list[str]]) -> dict:
        """Filter by chemsys / thermo_types, project ``_fields``, paginate like the API."""
        docs = self.docs
        if "chemsys" in query:
            wanted = set(query["chemsys"][0].split(","))
            docs = [d for d in docs if d["chemsys"] in wanted]
        if "thermo_types" in query:
            types = set(query["thermo_types"][0].split(","))
            docs = [d for d in docs if d["thermo_type"] in types]
        if "_fields" in query:
            fields = query["_fields"][0].split(",")
            docs = [{f: d[f] for f in fields if f in d} for d in docs]
        skip = int(query.get("_skip", ["0"])[0])
        limit = int(query.get("_limit", ["1000"])[0])
        meta = {**self.meta, "total_doc": len(docs)}
        return {"data": docs[skip : skip + limit], "meta": meta}

    def thermo_requests(self) -> list[str]:
        return [r for r in self.requests if r.startswith("/materials/thermo")]

    def start(self):
        self.thread.start()
        self.timer.start()
        return self

    def stop(self):
        self.timer.cancel()
        if self.thread.is_alive():
            self.httpd.shutdown()
        self.httpd.server_close()
