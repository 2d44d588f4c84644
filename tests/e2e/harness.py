"""Starts what an end-to-end test needs: the fake Dynaspark server, tauri-driver with the
app's environment (a temporary data directory, the fake endpoint), and app sessions.
Expects to run inside an X server (make test wraps it in xvfb-run)."""
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

from desktop import screenshot_screen
from webdriver import Session

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
APP = os.path.join(TARGET, "debug", "dynaspark-desktop")
FAKE = os.path.join(TARGET, "debug", "fake-dynaspark")
OUT = os.path.join(ROOT, "tests", "e2e", "out")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on port {port} after {timeout}s")


def tauri_driver_path():
    found = shutil.which("tauri-driver")
    if found:
        return found
    home = os.path.expanduser("~/.cargo/bin/tauri-driver")
    if os.path.exists(home):
        return home
    raise RuntimeError("tauri-driver not found: run scripts/deps.sh --test")


def wait_released(data_dir, timeout=30):
    """Until no app holds `data_dir`: a start while the last one is still exiting would
    hand over to it and exit (one app per data folder)."""
    path = os.path.join(data_dir, "instance.lock")
    if not os.path.exists(path):
        return
    deadline = time.time() + timeout
    with open(path, "rb") as f:
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(f, fcntl.LOCK_UN)
                return
            except BlockingIOError:
                if time.time() > deadline:
                    raise AssertionError(f"the last app still holds {path}") from None
                time.sleep(0.1)


class Fake:
    """The fake Dynaspark server, scripted over its /__fake/ control routes."""

    def __init__(self, log):
        self.port = free_port()
        self.proc = subprocess.Popen([FAKE, "--port", str(self.port)], stdout=log, stderr=log)
        wait_port(self.port)
        self.base = f"http://127.0.0.1:{self.port}"
        self.endpoint = f"{self.base}/generate_response"

    def script(self, queue=(), fallback=None):
        body = {"queue": list(queue)}
        if fallback is not None:
            body["fallback"] = fallback
        req = urllib.request.Request(f"{self.base}/__fake/script", data=json.dumps(body).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=10).read()

    def requests(self):
        with urllib.request.urlopen(f"{self.base}/__fake/requests", timeout=10) as r:
            return json.loads(r.read())

    def clear(self):
        urllib.request.urlopen(urllib.request.Request(f"{self.base}/__fake/requests", method="DELETE"), timeout=10).read()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


class Harness:
    """One data directory and one tauri-driver for a whole test class; sessions restart the app."""

    def __init__(self, name, env=None):
        """`env`: more environment for the app (it reaches the app through tauri-driver)."""
        os.makedirs(OUT, exist_ok=True)
        self.name = name
        self.tmp = tempfile.mkdtemp(prefix=f"dynaspark-e2e-{name}-")
        self.data_dir = os.path.join(self.tmp, "data")
        self.files = os.path.join(self.tmp, "files")
        os.makedirs(self.files)
        self.log = open(os.path.join(OUT, f"{name}.log"), "w")
        self.fake = Fake(self.log)
        self.driver_port = free_port()
        env = dict(os.environ, DYNASPARK_DATA_DIR=self.data_dir, DYNASPARK_ENDPOINT=self.fake.endpoint, **(env or {}))
        # Its own WebKitWebDriver port too (the default, 4445, would let only one run at a time).
        self.driver = subprocess.Popen([tauri_driver_path(), "--port", str(self.driver_port),
                                        "--native-port", str(free_port())],
                                       env=env, stdout=self.log, stderr=self.log, start_new_session=True)
        wait_port(self.driver_port)
        self.url = f"http://127.0.0.1:{self.driver_port}"
        self.session = None
        self.grab_from_x = False

    def start_app(self):
        wait_released(self.data_dir)
        self.session = Session(self.url, APP)
        self.grab_from_x = False
        self.session.wait(lambda: self.session.execute("return document.body.dataset.ready === 'true'"),
                          timeout=60, what="the UI to be ready")
        return self.session

    def restart_app(self):
        self.session.quit()
        time.sleep(1)
        return self.start_app()

    def screenshot(self, name):
        """After two animation frames: a picture taken at once can show the frame before
        the last change (seen under load).

        WebKitGTK drawing without compositing (the app's choice without a GPU, as under
        Xvfb) can leave WebDriver's snapshot unanswered while a modal <dialog> of the page
        is open (the lightbox); the window itself is painted. Then, and for the rest of the
        session (later snapshots queue behind it), the picture is the window's pixels as
        the X server shows them."""
        path = os.path.join(OUT, f"{name}.png")
        self.session.execute_async(
            "const done = arguments[arguments.length - 1];"
            "requestAnimationFrame(() => requestAnimationFrame(() => done(true)))")
        if not self.grab_from_x:
            try:
                self.session.screenshot(path, timeout=15)
                return path
            except TimeoutError:
                self.grab_from_x = True
        screenshot_screen(path, area=self.session.window_rect())
        return path

    def close(self):
        if self.session:
            self.session.quit()
        try:
            os.killpg(self.driver.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        self.driver.wait(10)
        self.fake.stop()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
