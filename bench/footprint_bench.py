"""The footprint benchmark (`make bench`): the app beside an empty Tauri 2 window
(bench/empty-window), both release builds of the same profile, in real windows under
Xvfb. Prints, side by side and each the median of --runs runs:

1. binary size, and the size of each one's .deb (`make bench` builds both packages
   with tauri-cli, which also builds the binaries measured here);
2. start: process spawn -> window mapped and -> first content painted (the binary
   started directly, watched from outside: X events, then the window's pixels); and,
   started through tauri-driver, spawn -> first-contentful-paint and (app) -> UI ready,
   read in the page;
3. PSS of the process and its WebKit children, idle, and (app) with a 1,000-message
   conversation open;
4. a 10 MB image (and a 3.8 MB one) sent to the fake server: Send -> answer in the
   page, beside curl posting the same multipart fields to the same server;
5. the app's added time per question: Send -> answer in the page minus curl's time
   for the same text-only request.

Then the issue's targets, PASS or MISS, and writes the table and the raw numbers to
bench/results/footprint-<date>.txt and .json. bench/README.md says exactly what each
figure measures.

Builds nothing: `make bench` builds the release binaries and the two .debs first (app,
empty window, fake-dynaspark, history-gen) and this script finds them in
$CARGO_TARGET_DIR/release (or target/release; the .debs in release/bundle/deb). Other builds of the app (another opt-level, say) can be measured
beside it for size, start and idle memory with --extra-app LABEL=PATH. Standard
library only; needs xdotool, xclip, curl, tauri-driver and the system Python's
python3-gi (scripts/deps.sh --test)."""
import argparse
import datetime
import glob
import hashlib
import json
import os
import random
import signal
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, HERE)

from harness import free_port, tauri_driver_path, wait_port  # noqa: E402
from webdriver import KEYS, Session, WebDriverError, _call  # noqa: E402
from history_bench import (  # noqa: E402
    ANSWER, OPEN_CONVERSATION, SEND, WRAP_INVOKE, comm, descendants, environment, fmt, has_gpu, median, trimmed_mean, newest_other, pid_of,
    rendering_note, stop_group, verdict,
)

RESULTS = os.path.join(ROOT, "bench", "results")
# python3-gi (GDK, for the pixel watcher) belongs to the system Python.
SYSTEM_PYTHON = "/usr/bin/python3"
MB = 1000 * 1000
MIB = 1024 * 1024

APP_TITLE = "Dynaspark Desktop"
EMPTY_TITLE = "Empty Tauri window"
MODEL = "gemini-1.5-flash"  # the app's default model (crates/core settings)
# The app's settings for every run: its limits before it scales an image down, raised so
# the 10 MB image is attached as it is (the settings' ranges allow up to 8192 px and
# 20 MiB), and no update check at start (it would go to the release server, out of this
# machine, while memory and times are read).
APP_SETTINGS = {"imageMaxBytes": 20 * MIB, "imageMaxSide": 8192, "checkForUpdates": False}
# 2000 x 1700 pixels of noise: a PNG of 10.2 MB that no compression shrinks. And one of
# 3.8 MB (1100 x 1150), within the app's default limits (4 MiB, 2048 px), which no step
# of the app should touch.
IMAGE_SIZE = (2000, 1700)
SMALL_IMAGE_SIZE = (1100, 1150)
QUESTION = "What is in this picture?"
TEXT_QUESTION = "How long should a sourdough starter rest?"
PARTS = ("size", "start", "memory", "upload", "added")
# history_bench's SEND, also returning its t0 (to place the IPC calls made meanwhile).
_SEND_DONE = "afterPaint((p) => done({ ms: p - t0, domMs: seenAt - t0 }))"
assert _SEND_DONE in SEND, "history_bench.SEND changed: update footprint_bench"
SEND_T0 = SEND.replace(_SEND_DONE, "afterPaint((p) => done({ ms: p - t0, domMs: seenAt - t0, t0 }))")
# The IPC calls since the last read (WRAP_INVOKE records them), relative to `t0`.
TAKE_CALLS = r"""
const t0 = arguments[0];
return (window.__benchCalls || []).splice(0).map((c) => ({
  cmd: c.cmd, startMs: c.start - t0, ms: c.end === undefined ? null : c.end - c.start }));
"""

# Started by tauri-driver in place of the binary: notes the wall-clock time (bash's own
# clock, no fork), exports NAME=VALUE arguments, then becomes the binary. The time it
# writes is the spawn of the measured process, whatever tauri-driver and WebKitWebDriver
# did before.
LAUNCHER = r"""#!/bin/bash
printf '%s\n' "$EPOCHREALTIME" > "$1"; shift
while [[ $1 == *=* ]]; do export "$1"; shift; done
exec "$@"
"""

# In-page times, read once the page says it is ready. Paint entries (first-paint,
# first-contentful-paint) and the navigation entry are relative to timeOrigin; the app's
# own marks (ui/main.js) and the empty window's (bench/empty-window/dist) are wall-clock.
PAGE_TIMES = r"""
const paint = {};
for (const e of performance.getEntriesByType('paint')) paint[e.name] = e.startTime;
const nav = performance.getEntriesByType('navigation')[0];
const m = window.__dsMarks || {};
return {
  timeOrigin: performance.timeOrigin, paint,
  responseEnd: nav ? nav.responseEnd : null,
  domContentLoaded: nav ? nav.domContentLoadedEventEnd : null,
  load: nav ? nav.loadEventEnd : null,
  ready: m.ready || null, sidebarListed: m.sidebarListed || null,
};
"""


# ---------------------------------------------------------------------------------------
# Helpers


def xdotool_visible(title):
    out = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", f"^{title}$"],
                         capture_output=True, text=True).stdout.split()
    return out


def wait_no_window(title, timeout=15):
    deadline = time.time() + timeout
    while xdotool_visible(title):
        if time.time() > deadline:
            raise RuntimeError(f"a window named {title!r} is still shown after {timeout}s")
        time.sleep(0.1)


def smaps(pid):
    """Rss, Pss and private (USS) memory of one process, in kB (smaps_rollup)."""
    out = {"rss": 0, "pss": 0, "uss": 0}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("Rss", "Pss"):
                    out[key.lower()] = int(rest.split()[0])
                elif key in ("Private_Clean", "Private_Dirty"):
                    out["uss"] += int(rest.split()[0])
    except (OSError, ValueError):
        pass
    return out


def tree_memory(root):
    """PSS of `root` and every process under it (WebKitWebProcess, WebKitNetworkProcess),
    with their RSS and private memory (USS), which do not depend on what other processes
    share the same libraries."""
    parts, total = {}, {"rss": 0, "pss": 0, "uss": 0}
    for pid in descendants(root):
        m = smaps(pid)
        parts[f"{comm(pid)}[{pid}]"] = {k: round(v / 1024, 1) for k, v in m.items()}
        for k in total:
            total[k] += m[k]
    return {"pssMb": round(total["pss"] / 1024, 1), "rssMb": round(total["rss"] / 1024, 1),
            "ussMb": round(total["uss"] / 1024, 1), "processes": parts}


def process_cpu(pid):
    """CPU seconds (user + system) used so far by process `pid`; None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def tree_cpu(root):
    """CPU seconds (user + system) used so far by `root` and every process under it."""
    return sum(process_cpu(pid) or 0 for pid in descendants(root))


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def end_tree(pids, timeout=10):
    """SIGTERM, then SIGKILL, to exactly these processes."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.time() + timeout
        while any(alive(p) for p in pids) and time.time() < deadline:
            time.sleep(0.05)
        if not any(alive(p) for p in pids):
            return


def ipc_breakdown(asks):
    """Where a question's time goes: each command's median start (from the click on Send)
    and duration, over `asks` (results of Bench.ask)."""
    out = {}
    for a in asks:
        for c in a.get("calls") or []:
            b = out.setdefault(c["cmd"], {"start": [], "ms": []})
            b["start"].append(c["startMs"])
            b["ms"].append(c["ms"])
    return {cmd: {"startMs": round(median(v["start"]), 1), "ms": round(median(v["ms"]) or 0, 1), "n": len(v["ms"])}
            for cmd, v in out.items()}


def packaged_size(deb, name):
    """The size of usr/bin/`name` in the .deb `deb` (dpkg-deb's listing), or None."""
    try:
        listing = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    for line in listing.splitlines():
        fields = line.split()
        if len(fields) >= 6 and fields[-1].lstrip("./") == f"usr/bin/{name}":
            return int(fields[2])
    return None


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return [float(x) for x in f.read().split()[:3]]
    except OSError:
        return None


def noise_png(path, width, height, seed=1):
    """A PNG of random pixels (stored, not compressed: noise does not compress)."""
    rng = random.Random(seed)
    row = width * 3
    raw = b"".join(b"\0" + rng.randbytes(row) for _ in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 0)) + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(data)
    return len(data), hashlib.sha256(data).hexdigest()


# Watches a start from outside, in its own process (the system Python, for GDK, as
# tests/e2e/desktop.py). Listens to the X server for top-level windows being mapped
# (MapNotify on the root window, through libX11: no polling, no delay) and notes the one
# named `title`; then grabs that window's top-left 400 x 120 pixels every 5 ms until they
# are no longer of one colour: the first frame with content (before it the window is
# black, then the GTK background alone, then the webview's empty background). Prints
# JSON lines with CLOCK_MONOTONIC and wall-clock times.
WATCH = r"""
import ctypes, ctypes.util, json, select, sys, time
import gi
gi.require_version("Gdk", "3.0")
gi.require_version("GdkX11", "3.0")
from gi.repository import Gdk, GdkX11

title, deadline = sys.argv[1].encode(), time.monotonic() + float(sys.argv[2])

def say(event, **kw):
    print(json.dumps(dict(event=event, mono=time.monotonic(), wall=time.time(), **kw)), flush=True)

def over():
    if time.monotonic() > deadline:
        say("timeout")
        sys.exit(1)

x = ctypes.CDLL(ctypes.util.find_library("X11"))
x.XOpenDisplay.restype = ctypes.c_void_p
x.XOpenDisplay.argtypes = [ctypes.c_char_p]
x.XDefaultRootWindow.restype = ctypes.c_ulong
x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
x.XSelectInput.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_long]
x.XFlush.argtypes = [ctypes.c_void_p]
x.XPending.argtypes = [ctypes.c_void_p]
x.XConnectionNumber.argtypes = [ctypes.c_void_p]
x.XNextEvent.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
x.XFetchName.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(ctypes.c_char_p)]
x.XFree.argtypes = [ctypes.c_void_p]
SUBSTRUCTURE_NOTIFY_MASK, MAP_NOTIFY = 1 << 19, 19

dpy = x.XOpenDisplay(None)
x.XSelectInput(dpy, x.XDefaultRootWindow(dpy), SUBSTRUCTURE_NOTIFY_MASK)
x.XFlush(dpy)
fd = x.XConnectionNumber(dpy)
display = Gdk.Display.get_default()
event = ctypes.create_string_buffer(192)
say("ready")
xid = None
while xid is None:
    over()
    if not x.XPending(dpy):
        select.select([fd], [], [], 0.1)
        continue
    x.XNextEvent(dpy, event)
    # XMapEvent: int type; unsigned long serial; Bool send_event; Display *display;
    # Window event; Window window (offset 40 on LP64).
    if int.from_bytes(event.raw[0:4], "little") != MAP_NOTIFY:
        continue
    seen = time.monotonic(), time.time()
    window = int.from_bytes(event.raw[40:48], "little")
    name = ctypes.c_char_p()
    if x.XFetchName(dpy, window, ctypes.byref(name)) and name.value == title:
        xid = window
        print(json.dumps(dict(event="mapped", mono=seen[0], wall=seen[1], xid=xid)), flush=True)
    if name:
        x.XFree(name)
gdk_window = GdkX11.X11Window.foreign_new_for_display(display, xid)
frames = 0
while True:
    over()
    pb = Gdk.pixbuf_get_from_window(gdk_window, 0, 0, 400, 120)
    if pb is not None:
        frames += 1
        px, n, stride, w = pb.get_pixels(), pb.get_n_channels(), pb.get_rowstride(), pb.get_width()
        line = px[:n] * w
        if any(px[y * stride:y * stride + w * n] != line for y in range(pb.get_height())):
            say("painted", frame=frames)
            break
    time.sleep(0.005)
"""


class Watcher:
    """Runs WATCH for `title`; started (and ready) before the process it watches."""

    def __init__(self, title, timeout=120):
        self.proc = subprocess.Popen([SYSTEM_PYTHON, "-c", WATCH, title, str(timeout)],
                                     stdout=subprocess.PIPE, text=True)
        self.events = {}
        if self.read() != "ready":
            self.close()
            raise RuntimeError("the window watcher did not start (python3-gi missing?)")

    def read(self):
        line = self.proc.stdout.readline()
        if not line:
            return None
        ev = json.loads(line)
        self.events[ev["event"]] = ev
        return ev["event"]

    def wait(self):
        """Until the first content is painted; returns the events seen (mapped, painted)."""
        while self.read() not in ("painted", "timeout", None):
            pass
        self.close()
        return self.events

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(10)
        self.proc.stdout.close()


# ---------------------------------------------------------------------------------------
# The bench


class Bench:
    def __init__(self, args, bins, log):
        self.args, self.bins, self.log = args, bins, log
        rel = os.path.join(args.target_dir, "release")
        self.fake_bin = os.path.join(rel, "fake-dynaspark")
        self.gen_bin = os.path.join(rel, "history-gen")
        self.cache = os.path.join(args.target_dir, "bench-footprint")
        os.makedirs(self.cache, exist_ok=True)
        self.tmp = tempfile.mkdtemp(prefix="run-", dir=self.cache)
        self.launcher = os.path.join(self.tmp, "launch.sh")
        with open(self.launcher, "w") as f:
            f.write(LAUNCHER)
        os.chmod(self.launcher, 0o755)
        # One data folder for starts, idle memory, uploads and questions, with the raised
        # image limits; the 1,000-message history in another.
        self.data = os.path.join(self.tmp, "data")
        os.makedirs(self.data)
        with open(os.path.join(self.data, "settings.json"), "w") as f:
            json.dump(APP_SETTINGS, f)
        self.gpu = has_gpu()
        self.fake = self.driver = self.clip = None
        self.direct = []  # processes started directly, to end
        self.r = {"runs": args.runs}

    def say(self, msg):
        print(msg, flush=True)

    # -- fixtures -----------------------------------------------------------------------

    def start_fake(self):
        self.fake_port = free_port()
        self.fake = subprocess.Popen([self.fake_bin, "--port", str(self.fake_port), "--answer", ANSWER],
                                     stdout=self.log, stderr=self.log)
        wait_port(self.fake_port)
        self.endpoint = f"http://127.0.0.1:{self.fake_port}/generate_response"

    def app_env(self, binary, data=None):
        env = {"DYNASPARK_DATA_DIR": data or self.data, "DYNASPARK_ENDPOINT": self.endpoint}
        # Both drawn the same way: without a GPU the app turns WebKit's compositing off
        # (src-tauri/src/rendering.rs), so the empty window gets the same switch, unless
        # --empty-rendering default (or the switch set for both from outside).
        if (os.path.basename(binary) == "empty-window" and self.args.empty_rendering == "same"
                and not self.gpu and "WEBKIT_DISABLE_COMPOSITING_MODE" not in os.environ):
            env["WEBKIT_DISABLE_COMPOSITING_MODE"] = "1"
        return env

    def start_driver(self):
        self.driver_port = free_port()
        # Its own native WebDriver port: another tauri-driver (make e2e) may hold the default.
        self.driver = subprocess.Popen([tauri_driver_path(), "--port", str(self.driver_port),
                                        "--native-port", str(free_port())],
                                       stdout=self.log, stderr=self.log, start_new_session=True)
        wait_port(self.driver_port)
        self.url = f"http://127.0.0.1:{self.driver_port}"

    def fake_requests(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.fake_port}/__fake/requests", timeout=60) as r:
            return json.loads(r.read())

    def fake_clear(self):
        req = urllib.request.Request(f"http://127.0.0.1:{self.fake_port}/__fake/requests", method="DELETE")
        urllib.request.urlopen(req, timeout=10).read()

    def close(self):
        for proc in self.direct:
            end_tree([proc.pid])
        if self.driver:
            stop_group(self.driver)
        for proc in (self.fake, self.clip):
            if proc and proc.poll() is None:
                proc.terminate()
                proc.wait(10)
        if not self.args.keep:
            subprocess.run(["rm", "-rf", self.tmp], check=False)

    # -- 1. sizes -----------------------------------------------------------------------

    def measure_sizes(self):
        sizes = {label: os.path.getsize(path) for label, path, _ in self.bins}
        self.r["sizes"] = sizes
        self.r["debs"] = debs = {}
        deb_dir = os.path.join(self.args.target_dir, "release", "bundle", "deb")
        for label, path, title in self.bins[:2]:
            # tauri-cli names a package after the product: "<productName>_<version>_<arch>.deb".
            found = sorted(glob.glob(os.path.join(glob.escape(deb_dir), glob.escape(title) + "_*.deb")),
                           key=os.path.getmtime)
            if found:
                packaged = packaged_size(found[-1], os.path.basename(path))
                # Not the package of what is measured: the binary was built again since.
                # (tauri-cli writes the bundle type into the packaged copy, so the two
                # differ in a few bytes, never in size.)
                stale = (packaged != os.path.getsize(path) if packaged is not None
                         else os.path.getmtime(found[-1]) < os.path.getmtime(path) - 5)
                debs[label] = {"path": found[-1], "bytes": os.path.getsize(found[-1]), "stale": stale}
        for label, size in sizes.items():
            deb = debs.get(label)
            self.say(f"size {label}: {size:,} bytes" + (f"; .deb {deb['bytes']:,} bytes"
                                                        f"{' (older than the binary)' if deb['stale'] else ''}"
                                                        if deb else ""))

    # -- 2. starts ----------------------------------------------------------------------

    def start_direct(self, binary, title):
        """Spawns `binary` itself (not through WebDriver), watched from outside. Returns
        (process, ms from just before Popen to the window mapped, to its first content)."""
        wait_no_window(title)
        watcher = Watcher(title)
        env = dict(os.environ, **self.app_env(binary))
        t0 = time.monotonic()
        proc = subprocess.Popen([binary], env=env, stdout=self.log, stderr=self.log, start_new_session=True)
        self.direct.append(proc)
        ev = watcher.wait()
        if "painted" not in ev:
            raise RuntimeError(f"{binary}: no window {title!r} with content within 120 s (exit status {proc.poll()})")
        ms = lambda e: round((ev[e]["mono"] - t0) * 1000, 1)  # noqa: E731
        return proc, ms("mapped"), ms("painted"), ev["painted"].get("frame")

    def stop_direct(self, proc):
        end_tree(descendants(proc.pid))
        proc.wait(10)
        self.direct.remove(proc)

    def settle(self, root):
        """--settle seconds, then until the process tree is idle (under 5% of a core over
        half a second), at most 10 s more. Returns the seconds waited."""
        t0 = time.monotonic()
        time.sleep(self.args.settle)
        deadline = time.monotonic() + 10
        before = tree_cpu(root)
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = tree_cpu(root)
            if now - before < 0.025:
                break
            before = now
        return round(time.monotonic() - t0, 1)

    def measure_direct_starts(self):
        """Round robin over the binaries, one warm-up start each first."""
        runs = {label: [] for label, _, _ in self.bins}
        for i in range(self.args.runs + 1):
            for label, binary, title in self.bins:
                proc, mapped, painted, frame = self.start_direct(binary, title)
                waited = self.settle(proc.pid)
                mem = tree_memory(proc.pid)
                self.stop_direct(proc)
                if i == 0:
                    self.say(f"[direct] {label}: warm-up, mapped {mapped:.0f} ms, content {painted:.0f} ms")
                    continue
                runs[label].append({"mappedMs": mapped, "paintedMs": painted, "paintedFrame": frame,
                                    "settledS": waited, "memory": mem})
                self.say(f"[direct] {label} run {i}: mapped {mapped:.0f} ms, first content painted {painted:.0f} ms, "
                         f"idle PSS {mem['pssMb']} MB, USS {mem['ussMb']} MB (after {waited} s)")
        self.r["direct"] = {label: {"runs": rs, "mappedMs": median(x["mappedMs"] for x in rs),
                                    "paintedMs": median(x["paintedMs"] for x in rs),
                                    "pssIdleMb": median(x["memory"]["pssMb"] for x in rs),
                                    "ussIdleMb": median(x["memory"]["ussMb"] for x in rs),
                                    "rssIdleMb": median(x["memory"]["rssMb"] for x in rs)}
                            for label, rs in runs.items()}

    def session(self, binary, data=None, title=None):
        """Starts `binary` through tauri-driver (by way of the launcher); waits for the
        page's ready flag. Returns (session, times relative to the spawn)."""
        if title:
            wait_no_window(title)
        stamp = os.path.join(self.tmp, "spawned")
        if os.path.exists(stamp):
            os.remove(stamp)
        env = [f"{k}={v}" for k, v in self.app_env(binary, data).items()]
        watcher = Watcher(title) if title else None
        posted = time.time()
        s = Session(self.url, self.launcher, [stamp, *env, binary])
        returned = time.time()
        _call("POST", f"{s.base}/timeouts", {"script": 600_000})
        s.wait(lambda: s.execute("return document.body.dataset.ready === 'true'"), timeout=120,
               what="the page to be ready")
        ev = watcher.wait() if watcher else {}
        with open(stamp) as f:
            spawn = float(f.read().strip().replace(",", ".")) * 1000
        page = s.execute(PAGE_TIMES)
        origin = page["timeOrigin"]
        rel = lambda v: None if v is None else round(v - spawn, 1)  # noqa: E731
        paint = page.get("paint") or {}
        times = {
            "postToSpawnMs": round(spawn - posted * 1000, 1),
            "sessionReturnedMs": rel(returned * 1000),
            "mappedMs": rel(ev["mapped"]["wall"] * 1000) if "mapped" in ev else None,
            "pixelsPaintedMs": rel(ev["painted"]["wall"] * 1000) if "painted" in ev else None,
            "timeOriginMs": rel(origin),
            "firstPaintMs": rel(origin + paint["first-paint"]) if "first-paint" in paint else None,
            "firstContentfulPaintMs": rel(origin + paint["first-contentful-paint"])
            if "first-contentful-paint" in paint else None,
            "domContentLoadedMs": rel(origin + page["domContentLoaded"]) if page.get("domContentLoaded") else None,
            "loadMs": rel(origin + page["load"]) if page.get("load") else None,
            "sidebarListedMs": rel(page.get("sidebarListed")),
            "readyMs": rel(page.get("ready")),
        }
        return s, times

    def end_session(self, s, binary):
        pid = pid_of(binary, self.driver.pid)
        s.quit()
        if pid:
            deadline = time.time() + 10
            while alive(pid) and time.time() < deadline:
                time.sleep(0.05)
            if alive(pid):
                end_tree(descendants(pid))
        time.sleep(0.5)

    def measure_driven_starts(self):
        runs = {label: [] for label, _, _ in self.bins}
        for i in range(self.args.runs + 1):
            for label, binary, title in self.bins:
                s, times = self.session(binary, title=title)
                pid = pid_of(binary, self.driver.pid)
                if pid:
                    times["settledS"] = self.settle(pid)
                times["memory"] = tree_memory(pid) if pid else {"error": "process not found"}
                self.end_session(s, binary)
                if i == 0:
                    self.say(f"[driven] {label}: warm-up, first contentful paint {fmt(times['firstContentfulPaintMs'])} ms")
                    continue
                runs[label].append(times)
                self.say(f"[driven] {label} run {i}: spawn -> mapped {fmt(times['mappedMs'])}, "
                         f"first contentful paint {fmt(times['firstContentfulPaintMs'])} "
                         f"(pixels {fmt(times['pixelsPaintedMs'])}), "
                         f"load {fmt(times['loadMs'])}, ready {fmt(times['readyMs'])} ms "
                         f"(POST -> spawn {fmt(times['postToSpawnMs'])} ms), "
                         f"PSS {times['memory'].get('pssMb')} MB")
        keys = ("postToSpawnMs", "sessionReturnedMs", "mappedMs", "pixelsPaintedMs", "timeOriginMs", "firstPaintMs",
                "firstContentfulPaintMs", "domContentLoadedMs", "loadMs", "sidebarListedMs", "readyMs")
        self.r["driven"] = {
            label: dict({k: median(x.get(k) for x in rs) for k in keys}, runs=rs,
                        pssIdleMb=median((x.get("memory") or {}).get("pssMb") for x in rs),
                        ussIdleMb=median((x.get("memory") or {}).get("ussMb") for x in rs))
            for label, rs in runs.items()}

    # -- 3. memory with a 1,000-message conversation -------------------------------------

    def history(self):
        """Two conversations: one of 1,000 messages, one of 2 (to open in between)."""
        d = os.path.join(self.cache, "history-2-1002-1000")
        info_path = os.path.join(d, "history-gen.json")
        if not os.path.exists(info_path) or os.path.getmtime(self.gen_bin) > os.path.getmtime(info_path):
            subprocess.run(["rm", "-rf", d], check=False)
            os.makedirs(d)
            subprocess.run([self.gen_bin, "--dir", d, "--conversations", "2", "--messages", "1002",
                            "--big", "1000", "--pinned", "0"], check=True, stdout=self.log, stderr=self.log)
        with open(info_path) as f:
            info = json.load(f)
        info["other"] = newest_other(os.path.join(d, "history.sqlite3"), info["big"]["id"])
        return d, info

    def open(self, s, c, shown_ok=False):
        res = s.execute_async(OPEN_CONVERSATION, c["id"], c["firstMessageId"], c["lastMessageId"])
        if res.get("error"):
            if shown_ok and "already shown" in res["error"]:
                return None
            raise RuntimeError(f"opening conversation {c['id']}: {res['error']}")
        return res

    def measure_big(self):
        src, info = self.history()
        app = self.bins[1][1]
        runs = []
        for i in range(self.args.runs):
            data = os.path.join(self.tmp, f"big-{i}")
            os.makedirs(data)
            subprocess.run(["cp", os.path.join(src, "history.sqlite3"), data], check=True)
            s, times = self.session(app, data=data)
            # The app opens the newest conversation at start: the other one first, then
            # the big one, so it is opened afresh.
            self.open(s, info["other"], shown_ok=True)
            opened = self.open(s, info["big"])
            pid = pid_of(app, self.driver.pid)
            if pid:
                self.settle(pid)
            mem = tree_memory(pid) if pid else {"error": "process not found"}
            self.end_session(s, app)
            runs.append({"open": opened, "readyMs": times["readyMs"], "memory": mem})
            self.say(f"[big] run {i + 1}: opened in {fmt(opened.get('paintedMs'))} ms "
                     f"({opened.get('messagesInDom')} messages in the DOM), PSS {mem.get('pssMb')} MB")
            subprocess.run(["rm", "-rf", data], check=False)
        self.r["big"] = {"info": {k: info[k] for k in ("conversations", "messages", "big") if k in info},
                         "runs": runs, "pssMb": median(r["memory"].get("pssMb") for r in runs),
                         "ussMb": median(r["memory"].get("ussMb") for r in runs),
                         "openPaintedMs": median(r["open"].get("paintedMs") for r in runs)}

    # -- 4. and 5. sending ----------------------------------------------------------------

    def curl(self, text, image=None):
        """Seconds -> ms that curl takes for the app's request (time_total: connect,
        upload, the fake server's handling, the answer), without curl's own start."""
        cmd = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{time_total}", "-H", "Expect:",
               "-F", f"user_input={text}", "-F", f"ai_model={MODEL}"]
        if image:
            cmd += ["-F", f"file=@{image};type=image/png"]
        out = subprocess.run(cmd + [self.endpoint], capture_output=True, text=True, check=True).stdout.split()
        if out[0] != "200":
            raise RuntimeError(f"curl: HTTP {out[0]}")
        return float(out[1]) * 1000

    def ask(self, s, text, fresh):
        """One question (history_bench's SEND); with the IPC calls made meanwhile."""
        s.execute("if (window.__benchCalls) window.__benchCalls.length = 0;")
        res = s.execute_async(SEND_T0, text, fresh)
        if res.get("error"):
            raise RuntimeError(f"asking {text!r}: {res['error']}")
        res["calls"] = s.execute(TAKE_CALLS, res["t0"])
        return res

    def set_clipboard_uri(self, path):
        """Offers `path` on the clipboard as text/uri-list, as a file manager's Copy does.
        xclip stays in the foreground (-quiet) so it can be ended at the close."""
        self.clip = subprocess.Popen(["xclip", "-quiet", "-selection", "clipboard", "-t", "text/uri-list", "-i"],
                                     stdin=subprocess.PIPE, stdout=self.log, stderr=self.log)
        self.clip.stdin.write(f"file://{path}\r\n".encode())
        self.clip.stdin.close()
        deadline = time.time() + 10
        while "text/uri-list" not in subprocess.run(["xclip", "-selection", "clipboard", "-t", "TARGETS", "-o"],
                                                    capture_output=True, text=True).stdout:
            if time.time() > deadline:
                raise RuntimeError("the clipboard does not offer text/uri-list")
            time.sleep(0.1)

    def attach_pasted(self, s):
        """Ctrl+V in the composer: the app's paste_image command attaches the copied file."""
        s.tid("new-conversation").click()
        box = s.tid("composer-input")
        box.click()
        t0 = time.time()
        box.send_keys(KEYS["ctrl"] + "v")
        s.wait(lambda: s.tid("attachment-chip").displayed(), timeout=60, what="the pasted image")
        attached = time.time() - t0
        size_text = s.tid("attachment-size").text
        return attached * 1000, size_text

    def measure_upload(self, s, key, pixels):
        """Send with an image (pasted as a copied file) -> answer, beside curl posting the
        same fields and bytes. What the fake server received is checked each time."""
        image = os.path.join(self.tmp, f"noise {pixels[0]}x{pixels[1]}.png")
        size, sha = noise_png(image, *pixels)
        self.say(f"[{key}] {os.path.basename(image)}: {size:,} bytes")
        self.set_clipboard_uri(image)
        app, curl, checks = [], [], []
        for i in range(self.args.runs + 1):
            self.fake_clear()
            attach_ms, size_text = self.attach_pasted(s)
            res = self.ask(s, QUESTION, False)
            reqs = self.fake_requests()
            part = next((p for p in (reqs[-1]["parts"] if reqs else []) if p["name"] == "file"), None)
            if not part:
                raise RuntimeError(f"the app sent no image (chip: {size_text!r})")
            check = {"attachMs": round(attach_ms), "chip": size_text, "sentBytes": part["size"],
                     "sentAsIs": part["size"] == size and part["sha256"] == sha}
            self.fake_clear()
            c = self.curl(QUESTION, image)
            if i == 0:
                self.say(f"[{key}] warm-up: app {res['domMs']:.0f} ms, curl {c:.0f} ms")
                continue
            app.append(res)
            curl.append(c)
            checks.append(check)
            self.say(f"[{key}] run {i}: app Send -> answer in the DOM {res['domMs']:.0f} ms, "
                     f"painted {res['ms']:.0f} ms; curl {c:.0f} ms; the app sent {part['size']:,} bytes"
                     f"{' (the image as it is)' if check['sentAsIs'] else ' (NOT the image as it is)'}")
        self.clip.terminate()
        self.clip.wait(10)
        self.clip = None
        for cmd, v in ipc_breakdown(app).items():
            self.say(f"[{key}]   {cmd}: starts at {v['startMs']} ms after the click, takes {v['ms']} ms")
        self.r[key] = {"imageBytes": size, "imageSha256": sha, "imagePixels": list(pixels),
                       "app": app, "curlMs": [round(c, 1) for c in curl], "checks": checks,
                       "sentAsIs": all(c["sentAsIs"] for c in checks), "ipc": ipc_breakdown(app),
                       "sentBytes": median(c["sentBytes"] for c in checks),
                       "appDomMs": median(a["domMs"] for a in app), "appPaintedMs": median(a["ms"] for a in app),
                       "curlMedianMs": median(curl)}

    def measure_added(self, s):
        app, curl = [], []
        for i in range(self.args.sends + 1):
            self.fake_clear()
            res = self.ask(s, TEXT_QUESTION, True)
            c = self.curl(TEXT_QUESTION)
            if i == 0:
                continue
            app.append(res)
            curl.append(c)
        dom, painted, floor = median(a["domMs"] for a in app), median(a["ms"] for a in app), median(curl)
        # The page's clock reads whole milliseconds: the median of its readings can only
        # be a whole number, the added time x.5 either side of the truth. The 10 % trimmed
        # mean of as many readings resolves a tenth of a millisecond; both are printed.
        dom_tm, floor_tm = trimmed_mean(a["domMs"] for a in app), trimmed_mean(curl)
        breakdown = ipc_breakdown(app)
        self.r["added"] = {"app": app, "curlMs": [round(c, 2) for c in curl], "appDomMs": dom,
                           "appPaintedMs": painted, "curlMedianMs": floor, "ipc": breakdown,
                           "addedDomMs": dom - floor, "addedPaintedMs": painted - floor,
                           "appDomTrimmedMeanMs": dom_tm, "curlTrimmedMeanMs": floor_tm,
                           "addedDomTrimmedMeanMs": dom_tm - floor_tm}
        self.say(f"[added] app Send -> answer in the DOM {dom:.1f} ms (painted {painted:.1f} ms), "
                 f"curl {floor:.2f} ms: added {dom - floor:.1f} ms; trimmed means {dom_tm:.2f} - "
                 f"{floor_tm:.2f} = {dom_tm - floor_tm:.2f} ms")
        for cmd, v in breakdown.items():
            self.say(f"[added]   {cmd}: starts at {v['startMs']} ms after the click, takes {v['ms']} ms")

    def measure_sending(self):
        app = self.bins[1][1]
        s, _ = self.session(app)
        try:
            s.execute(WRAP_INVOKE)
            self.ask(s, "Warm-up question?", True)
            if "upload" in self.args.parts:
                self.measure_upload(s, "upload", IMAGE_SIZE)
                self.measure_upload(s, "uploadSmall", SMALL_IMAGE_SIZE)
            if "added" in self.args.parts:
                self.measure_added(s)
        finally:
            self.end_session(s, app)

    def run(self):
        parts = self.args.parts
        if "size" in parts:
            self.measure_sizes()
        self.start_fake()
        if "start" in parts or "memory" in parts:
            self.measure_direct_starts()
        if {"start", "memory", "upload", "added"} & set(parts):
            self.start_driver()
        if "start" in parts or "memory" in parts:
            self.measure_driven_starts()
        if "memory" in parts:
            self.measure_big()
        if "upload" in parts or "added" in parts:
            self.measure_sending()
        return self.r


# ---------------------------------------------------------------------------------------
# The table


def ratio(a, b):
    return None if a is None or b is None or not b else a / b


def rows(r, bins):
    labels = [label for label, _, _ in bins]
    extra = labels[2:]
    out = []

    def row(name, values, target="", ok=None, show_verdict=True):
        out.append([name] + [v if isinstance(v, str) else fmt(v) for v in values] + [target, verdict(ok) if show_verdict else ""])

    sizes = r.get("sizes") or {}
    if sizes:
        e, a = sizes.get("empty"), sizes.get("app")
        row("1. binary size (MB)", [f"{sizes[x] / MB:.2f}" for x in labels], "app ≤ empty + 6 MB",
            None if e is None or a is None else a <= e + 6 * MB)
        row("   binary size (bytes)", [sizes[x] for x in labels], show_verdict=False)
        debs = r.get("debs") or {}

        def deb(label):
            d = debs.get(label)
            if not d:
                return "none (make bench builds it)"
            return f"{d['bytes'] / MB:.2f}" + (" (older than the binary)" if d["stale"] else "")
        row("   .deb size (MB)", [deb("empty"), deb("app")] + ["—"] * len(extra), show_verdict=False)
    d, v = r.get("direct") or {}, r.get("driven") or {}
    n = r.get("runs")
    if d or v:
        g = lambda src, k: [(src.get(x) or {}).get(k) for x in labels]  # noqa: E731
        painted = g(d, "paintedMs")
        row(f"2. spawn → first content painted (ms, median of {n}; started directly)", painted,
            "app ≤ 1.3× empty", None if ratio(painted[1], painted[0]) is None else ratio(painted[1], painted[0]) <= 1.3)
        row("   spawn → window mapped (ms; started directly)", g(d, "mappedMs"), show_verdict=False)
        fcp = g(v, "firstContentfulPaintMs")
        row("   via tauri-driver: spawn → first-contentful-paint (ms, in the page)", fcp, show_verdict=False)
        row("   via tauri-driver: spawn → first content painted (ms, pixels)", g(v, "pixelsPaintedMs"),
            show_verdict=False)
        row("   via tauri-driver: spawn → window mapped (ms)", g(v, "mappedMs"), show_verdict=False)
        row("   via tauri-driver: spawn → navigation start (ms)", g(v, "timeOriginMs"), show_verdict=False)
        ready = g(v, "readyMs")
        row("   via tauri-driver: spawn → UI ready, composer interactive (ms)", ["—"] + ready[1:], show_verdict=False)
        idle = g(d, "pssIdleMb")
        row("3. PSS idle, process + WebKit children (MB; started directly)", idle, "app ≤ empty + 40 MB",
            None if idle[0] is None or idle[1] is None else idle[1] <= idle[0] + 40)
        row("   USS idle (private memory; MB; started directly)", g(d, "ussIdleMb"), show_verdict=False)
        row("   RSS idle (MB; started directly)", g(d, "rssIdleMb"), show_verdict=False)
        row("   PSS idle, started via tauri-driver (MB)", g(v, "pssIdleMb"), show_verdict=False)
    big = r.get("big")
    if big:
        row(f"   PSS with a {big['info'].get('big', {}).get('messages', 1000)}-message conversation open "
            "(MB; via tauri-driver)", ["—", big.get("pssMb")] + ["—"] * len(extra), show_verdict=False)
        row("   USS with it open (MB)", ["—", big.get("ussMb")] + ["—"] * len(extra), show_verdict=False)
    for key, main in (("upload", True), ("uploadSmall", False)):
        up = r.get(key)
        if not up:
            continue
        app, floor = up.get("appDomMs"), up.get("curlMedianMs")
        rt = ratio(app, floor)
        sent = "" if up.get("sentAsIs") else f"; the app sent {up['sentBytes'] / MB:.1f} MB"
        row(f"{'4.' if main else '  '} {up['imageBytes'] / MB:.1f} MB PNG: Send → answer in the DOM (ms; empty: curl{sent})",
            [floor, app] + ["—"] * len(extra), "app ≤ 1.3× curl" if main else "",
            (None if rt is None else rt <= 1.3) if main else None, show_verdict=main)
        row("   Send → answer painted (ms)", ["—", up.get("appPaintedMs")] + ["—"] * len(extra), show_verdict=False)
    ad = r.get("added")
    if ad:
        row("5. added time per question: Send → answer in the DOM − curl (ms)",
            ["—", f"{ad['addedDomMs']:.1f}"] + ["—"] * len(extra), "< 5 ms", ad["addedDomMs"] < 5)
        if "addedDomTrimmedMeanMs" in ad:
            row("   the same, 10 % trimmed means of the readings (ms)",
                ["—", f"{ad['addedDomTrimmedMeanMs']:.2f}"] + ["—"] * len(extra), "< 5 ms",
                ad["addedDomTrimmedMeanMs"] < 5)
        row("   app Send → answer in the DOM / painted; curl (ms)",
            ["—", f"{ad['appDomMs']:.1f} / {ad['appPaintedMs']:.0f}; {ad['curlMedianMs']:.1f}"] + ["—"] * len(extra),
            show_verdict=False)
        row("   added time, Send → answer painted − curl (ms)", ["—", f"{ad['addedPaintedMs']:.1f}"] + ["—"] * len(extra),
            "< 5 ms", ad["addedPaintedMs"] < 5)
    return out


def table(rs, labels):
    head = ["figure"] + labels + ["target", ""]
    widths = [max(len(str(r[i])) for r in rs + [head]) for i in range(len(head))]
    k = len(labels)

    def line(r):
        return "  ".join([r[0].ljust(widths[0])] + [str(r[i]).rjust(widths[i]) for i in range(1, k + 1)]
                         + [r[k + 1].ljust(widths[k + 1]), r[k + 2]]).rstrip()

    return "\n".join([line(head), "-" * (sum(widths) + 2 * len(widths))] + [line(r) for r in rs])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5, help="runs of each measurement (medians; one warm-up besides)")
    p.add_argument("--sends", type=int, default=40,
                   help="text-only questions for the added time (median and trimmed mean)")
    p.add_argument("--settle", type=float, default=3.0, help="seconds after start before memory is read")
    p.add_argument("--parts", default=",".join(PARTS), help=f"which parts to run, of {','.join(PARTS)}")
    p.add_argument("--target-dir", default=os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")),
                   help="where the release builds are (default: $CARGO_TARGET_DIR or target/)")
    p.add_argument("--extra-app", action="append", default=[], metavar="LABEL=PATH",
                   help="another build of the app (or of the empty window), measured beside them for "
                        "size, start and idle memory")
    p.add_argument("--empty-rendering", choices=["same", "default"], default="same",
                   help="same: the empty window drawn as the app draws on this machine (compositing off "
                        "without a GPU); default: WebKit's default for the empty window")
    p.add_argument("--label", default="", help="added to the results' file names")
    p.add_argument("--keep", action="store_true", help="keep the data folders of the run")
    args = p.parse_args()
    args.target_dir = os.path.abspath(args.target_dir)
    args.parts = [x.strip() for x in args.parts.split(",") if x.strip()]
    unknown = set(args.parts) - set(PARTS)
    if unknown:
        sys.exit(f"unknown parts: {', '.join(sorted(unknown))}")

    rel = os.path.join(args.target_dir, "release")
    bins = [("empty", os.path.join(rel, "empty-window"), EMPTY_TITLE),
            ("app", os.path.join(rel, "dynaspark-desktop"), APP_TITLE)]
    for spec in args.extra_app:
        label, _, path = spec.partition("=")
        if not label or not path:
            sys.exit(f"--extra-app {spec!r}: expected LABEL=PATH")
        path = os.path.abspath(path)
        bins.append((label, path, EMPTY_TITLE if os.path.basename(path) == "empty-window" else APP_TITLE))
    for path in [b[1] for b in bins] + [os.path.join(rel, "fake-dynaspark"), os.path.join(rel, "history-gen")]:
        if not os.path.exists(path):
            sys.exit(f"{path} is missing: run `make bench` (it builds the release binaries)")
    if not os.environ.get("DISPLAY"):
        sys.exit("no X display: run under xvfb-run (make bench does)")
    os.makedirs(RESULTS, exist_ok=True)

    load_before = loadavg()
    if load_before and load_before[0] > 1.0:
        print(f"note: load average {load_before[0]:.1f} on {os.cpu_count()} cores: "
              "other work is running, times will be noisy", flush=True)
    started = datetime.datetime.now()
    bench_dir = os.path.join(args.target_dir, "bench-footprint")
    os.makedirs(bench_dir, exist_ok=True)
    log_path = os.path.join(bench_dir, "bench.log")
    error = None
    with open(log_path, "w") as log:
        bench = Bench(args, bins, log)
        try:
            results = bench.run()
        except (WebDriverError, RuntimeError, AssertionError, OSError, subprocess.CalledProcessError) as e:
            print(f"FAILED: {e} (log: {log_path})", flush=True)
            results = dict(bench.r, error=str(e))
            error = e
        finally:
            bench.close()
    results["loadavg"] = {"before": load_before, "after": loadavg()}

    labels = [b[0] for b in bins]
    text = table(rows(results, bins), labels)
    print()
    print(text)
    env = environment()
    stamp = started.date().isoformat()
    name = f"footprint-{stamp}{'-' + args.label if args.label else ''}"
    header = (f"make bench, {started.isoformat(timespec='seconds')}\n"
              f"commit {env['commit']}{' (with local changes)' if env['dirty'] else ''}; {env['cpu']}, "
              f"{env['cores']} cores; Linux {env['kernel']}; WebKitGTK {env['webkit2gtk']}; Xvfb 1600x900\n"
              f"rendering: {rendering_note(env, args.empty_rendering)}\n"
              f"load average before / after: {results['loadavg']['before']} / {results['loadavg']['after']}\n"
              f"binaries: {', '.join(f'{label} = {os.path.relpath(path, ROOT)}' for label, path, _ in bins)}\n"
              f"args: {vars(args)}\n")
    raw = {"args": vars(args), "environment": env, "binaries": {label: path for label, path, _ in bins},
           "results": results}
    with open(os.path.join(RESULTS, name + ".txt"), "w") as fh:
        fh.write(header + "\n" + text + "\n")
    with open(os.path.join(RESULTS, name + ".json"), "w") as fh:
        json.dump(raw, fh, ensure_ascii=False, indent=1)
        fh.write("\n")
    print(f"\nwritten to bench/results/{name}.txt and .json")
    return 1 if error else 0


if __name__ == "__main__":
    sys.exit(main())
