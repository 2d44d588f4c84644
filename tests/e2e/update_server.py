"""A stand-in for the release page, for the updater's end-to-end tests.

`Key` makes a key pair and signatures in the format `tauri signer generate` / `tauri signer
sign` write (minisign: Ed25519 over the file's BLAKE2b-512, plus a signed trusted comment,
the whole text base64-encoded once more), so the app's updater verifies them as it does
real release artifacts. `UpdateServer` serves latest.json and the artifact over HTTP on
127.0.0.1 and records every request. Needs python3-cryptography (scripts/deps.sh --test)."""
import base64
import hashlib
import json
import os
import platform
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def _b64(data):
    return base64.b64encode(data).decode()


class Key:
    """A minisign key pair; `pubkey` is written as tauri.conf.json's `plugins.updater.pubkey`."""

    def __init__(self):
        self._secret = Ed25519PrivateKey.generate()
        self.key_id = os.urandom(8)
        public = self._secret.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        text = (f"untrusted comment: minisign public key: {self.key_id[::-1].hex().upper()}\n"
                f"{_b64(b'Ed' + self.key_id + public)}\n")
        self.pubkey = _b64(text.encode())

    def sign(self, data, file_name, version):
        """The `.sig` file's content for `data`, as latest.json carries it. `version` goes in
        the trusted comment, as `tauri build` puts it (the app requires it)."""
        signature = self._secret.sign(hashlib.blake2b(data, digest_size=64).digest())
        comment = f"timestamp:{int(time.time())}\tfile:{file_name}\tversion:{version}"
        global_signature = self._secret.sign(signature + comment.encode())
        text = ("untrusted comment: signature from tauri secret key\n"
                f"{_b64(b'ED' + self.key_id + signature)}\n"
                f"trusted comment: {comment}\n"
                f"{_b64(global_signature)}\n")
        return _b64(text.encode())


# The updater of a build that is no package (the tests' debug binary) looks up
# `{os}-{arch}`; an installed one first `{os}-{arch}-{bundle}` (appimage, deb, rpm).
_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}
ARCH = _ARCH.get(platform.machine().lower(), platform.machine().lower())
PLATFORM_KEYS = [f"linux-{ARCH}", f"linux-{ARCH}-appimage", f"linux-{ARCH}-deb"]


class UpdateServer:
    """latest.json and artifacts on 127.0.0.1; `requests()` lists what was asked, in order.
    `chunk_delay`: seconds between 64 KiB pieces of a response (a slow network)."""

    def __init__(self):
        self.chunk_delay = 0.0
        self._files = {}
        self._requests = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                with server._lock:
                    server._requests.append({"path": self.path, "user_agent": self.headers.get("User-Agent", ""),
                                             "accept": self.headers.get("Accept", "")})
                    found = server._files.get(self.path)
                if found is None:
                    self.send_error(404)
                    return
                content_type, body = found
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                # In pieces, as a real download arrives.
                for i in range(0, len(body), 64 * 1024):
                    if i and server.chunk_delay:
                        time.sleep(server.chunk_delay)
                    self.wfile.write(body[i:i + 64 * 1024])

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.manifest_url = f"{self.base}/latest.json"
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def publish(self, version, notes, artifact, signature, name="Dynaspark.Desktop_amd64.AppImage"):
        """latest.json announcing `version`, and the artifact it points at."""
        url = f"{self.base}/{name}"
        manifest = {
            "version": version,
            "notes": notes,
            "pub_date": "2026-11-20T10:00:00Z",
            "platforms": {key: {"signature": signature, "url": url} for key in PLATFORM_KEYS},
        }
        with self._lock:
            self._files = {
                "/latest.json": ("application/json", json.dumps(manifest).encode()),
                f"/{name}": ("application/octet-stream", artifact),
            }
        return manifest

    def requests(self):
        with self._lock:
            return list(self._requests)

    def clear(self):
        with self._lock:
            self._requests.clear()

    def stop(self):
        self._httpd.shutdown()
        self._httpd.server_close()
