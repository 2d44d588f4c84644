"""The history benchmark (`make bench-history`): the real app, in a real window (under
Xvfb, driven through tauri-driver), with an empty history and then with a heavy generated
one, measured the same way in one run. Prints a side-by-side table with the targets and
writes it, with the raw numbers as JSON, to bench/results/history-<date>.txt.

Builds nothing: `make bench-history` builds the release binaries first (app,
fake-dynaspark, history-gen) and this script finds them in target/release/. Standard
library only. Times are taken inside the page (performance.now, requestAnimationFrame);
Python only starts each measurement and collects it."""
import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

from harness import free_port, tauri_driver_path, wait_port, wait_released  # noqa: E402
from webdriver import Session, WebDriverError, _call  # noqa: E402

TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
BIN = os.path.join(TARGET, "release")
APP = os.path.join(BIN, "dynaspark-desktop")
FAKE = os.path.join(BIN, "fake-dynaspark")
GEN = os.path.join(BIN, "history-gen")
CACHE = os.path.join(TARGET, "bench-history")
RESULTS = os.path.join(ROOT, "bench", "results")

MB = 1024 * 1024

# The fake server's instant answer: short, but every kind of Markdown the app renders.
ANSWER = """### Short answer

**Yes.** Keep the list short and check it once a week:

1. Write down what you tried.
2. Change *one* thing at a time.

| Step | Time |
|---|---|
| Check | 5 min |

```sh
echo done
```

See [the guide](https://example.org/guide)."""

# Words the generator writes (bench/history-gen/src/content.rs), in both languages,
# prefixes, several words at once, very common words, and words found nowhere.
QUERIES = (
    "lifetimes borrow error async traits iterators generators decorators dataclasses indexes "
    "transactions WAL vacuum volumes rebasing conflicts promises closures pods ingress exposure "
    "aperture sourdough compost roses budgeting mortgage telescope marathon knee".split()
    + "индексы транзакции ошибок замыкания промисы ветки тома закваске компост бюджет ипотеке "
      "телескопа марафоне колене экспозиция диафрагма миграции итераторы генераторы декораторы".split()
    + ["rust lifetimes", "sqlite indexes", "docker volumes", "git rebasing", "python generators",
       "merge conflicts", "white balance", "interval training", "compound interest", "meteor showers",
       "обработка ошибок", "хлеб на закваске", "сложный процент", "фазы Луны", "высокие грядки",
       "official documentation", "smaller step", "common mistakes", "checklist budgeting", "shutter speed"]
    + ["life", "trans", "dock", "kube", "phot", "сад", "проб", "ошиб", "докум", "presen",
       "garde", "tele", "мараф", "интерв", "comp"]
    + ["the", "how", "это", "and", "что", "please", "пожалуйста", "example", "пример", "linux"]
    + ["zzyzx", "qwertyuiop", "флибертигиббет", "xylophone", "nonexistentword"]
)

# ---------------------------------------------------------------------------------------
# In-page measurements. Each is an execute/async script; the callback is the last argument.

# Wraps the IPC call the search view makes, so its start, end and the backend's tookMs
# are known (ui/api.js looks up window.__TAURI__.core.invoke at each call).
WRAP_INVOKE = r"""
const tauri = window.__TAURI__;
if (!tauri || !tauri.core) return false;
if (!window.__benchCalls) {
  // core.invoke itself is read-only, but __TAURI__.core can be replaced by an object that
  // inherits everything else (Channel, convertFileSrc) from the original.
  const core = tauri.core;
  const orig = (cmd, args, opts) => core.invoke(cmd, args, opts);
  window.__benchOrigInvoke = orig;
  window.__benchCalls = [];
  const wrapper = (cmd, args, opts) => {
    const rec = { cmd, query: args && args.query, start: performance.now() };
    const calls = window.__benchCalls;
    calls.push(rec);
    if (calls.length > 5000) calls.splice(0, 1000);
    return orig(cmd, args, opts).then((r) => {
      rec.end = performance.now();
      if (cmd === 'search_messages') { rec.tookMs = r && r.tookMs; rec.hits = r && r.hits ? r.hits.length : null; }
      return r;
    });
  };
  // Channel events too, as 'event:<type>' at their arrival (where a question's time goes).
  class BenchChannel extends core.Channel {
    set onmessage(handler) {
      super.onmessage = (e) => {
        const at = performance.now();
        window.__benchCalls.push({ cmd: `event:${e && e.type}`, start: at, end: at });
        handler(e);
      };
    }
    get onmessage() { return super.onmessage; }
  }
  tauri.core = Object.create(core, {
    invoke: { value: wrapper, enumerable: true },
    Channel: { value: BenchChannel, enumerable: true },
  });
}
return window.__TAURI__.core.invoke.name === 'wrapper';
"""

# After the next paint: the first animation frame after a change runs before it is painted,
# the second after.
AFTER_PAINT = "const afterPaint = (f) => requestAnimationFrame(() => requestAnimationFrame(() => f(performance.now())));"

OPEN_CONVERSATION = AFTER_PAINT + r"""
const [id, lo, hi, done] = arguments;
const item = document.querySelector(`[data-testid="conversation-item"][data-id="${id}"]`);
if (!item) return done({ error: `conversation-item ${id} is not in the sidebar` });
const list = document.querySelector('[data-testid="message-list"]');
const mine = () => [...list.querySelectorAll('[data-testid="message"]')].some((m) => {
  const n = Number(m.dataset.id); return n >= lo && n <= hi;
});
if (mine()) return done({ error: `conversation ${id} is already shown` });
const origin = performance.timeOrigin;
const t0 = performance.now();
let domAt = null;
const finish = (paintedAt, timedOut) => {
  observer.disconnect();
  const deadline = performance.now() + 3000;
  const waitMark = () => {
    const o = window.__dsMarks && window.__dsMarks.opened;
    const fresh = o && Number(o.id) === id && o.at - origin >= t0 - 1;
    if (fresh || performance.now() > deadline) {
      return done({
        domMs: domAt === null ? null : domAt - t0,
        paintedMs: paintedAt === null ? null : paintedAt - t0,
        markMs: fresh ? o.at - origin - t0 : null,
        messagesInDom: list.querySelectorAll('[data-testid="message"]').length,
        oldestButton: !(document.querySelector('[data-testid="jump-oldest"]') || {}).hidden,
        timedOut: !!timedOut,
      });
    }
    requestAnimationFrame(waitMark);
  };
  waitMark();
};
const check = () => {
  if (domAt === null && mine()) { domAt = performance.now(); afterPaint((p) => finish(p)); }
};
const observer = new MutationObserver(check);
observer.observe(list, { childList: true, subtree: true });
setTimeout(() => { if (domAt === null) finish(null, true); }, 20000);
item.click();
check();
"""

JUMP_OLDEST = AFTER_PAINT + r"""
const [oldest, done] = arguments;
const button = document.querySelector('[data-testid="jump-oldest"]');
if (!button || button.hidden) return done({ error: 'jump-oldest is not shown' });
const list = document.querySelector('[data-testid="message-list"]');
const has = () => !!list.querySelector(`[data-testid="message"][data-id="${oldest}"]`);
const t0 = performance.now();
let domAt = null;
const observer = new MutationObserver(() => {
  if (domAt === null && has()) {
    domAt = performance.now();
    observer.disconnect();
    afterPaint((p) => done({ domMs: domAt - t0, paintedMs: p - t0, scrollTop: list.scrollTop }));
  }
});
observer.observe(list, { childList: true, subtree: true });
setTimeout(() => { if (domAt === null) { observer.disconnect(); done({ error: 'timed out', timedOut: true }); } }, 20000);
button.click();
"""

# Bottom to top, one step (about a viewport) per animation frame, until the conversation's
# first message is in the DOM. Frame times are the differences of requestAnimationFrame
# timestamps.
SCROLL_TO_TOP = r"""
const [oldest, maxFrames, maxMs, done] = arguments;
const list = document.querySelector('[data-testid="message-list"]');
const step = Math.max(100, list.clientHeight);
list.scrollTop = list.scrollHeight;
const has = () => !!list.querySelector(`[data-testid="message"][data-id="${oldest}"]`);
const frames = [];
let last = null, maxNodes = 0, reachedFrame = null;
const t0 = performance.now();
const tick = (ts) => {
  if (last !== null) frames.push(ts - last);
  last = ts;
  if (frames.length % 10 === 0) maxNodes = Math.max(maxNodes, list.querySelectorAll('[data-testid="message"]').length);
  if (has()) reachedFrame = frames.length;
  if (reachedFrame !== null || frames.length >= maxFrames || performance.now() - t0 > maxMs) {
    return done({ frames, reachedFrame, step, ms: performance.now() - t0, maxNodes,
                  nodesAtEnd: list.querySelectorAll('[data-testid="message"]').length,
                  domNodes: document.getElementsByTagName('*').length });
  }
  list.scrollTop -= step;
  requestAnimationFrame(tick);
};
requestAnimationFrame(tick);
"""

# One query as a person types it, timed from its last keystroke until the results list has
# changed and been painted. Everything but the last character goes in first and its own
# results are let in and painted (a person's earlier keys); then the last character, the
# measured one. Both go in through the editor as keystrokes do (`insertText`: the same
# `input` event), not by assigning `input.value`: WebKitGTK drawing without compositing
# repaints the whole window after a script assigns the value of a focused field, or inserts
# several words at once (about 20 ms here at 1600 x 900, against 4-6 ms after a real key from
# xdotool or WebDriver, a space included; bench/README.md, "Search: timed from a keystroke").
SEARCH_UI = AFTER_PAINT + r"""
const [query, done] = arguments;
const input = document.querySelector('[data-testid="search-input"]');
const results = document.querySelector('[data-testid="search-results"]');
const calls = window.__benchCalls || [];
const head = query.slice(0, -1);
let changedAt = null;
let t0 = null;
const observer = new MutationObserver(() => {
  if (changedAt !== null || t0 === null) return;
  changedAt = performance.now();
  observer.disconnect();
  afterPaint((p) => {
    const rec = calls.filter((c) => c.cmd === 'search_messages' && c.query === query && c.start >= t0).pop() || null;
    done({
      uiMs: p - t0, domMs: changedAt - t0,
      callToPaintMs: rec ? p - rec.start : null,
      ipcMs: rec && rec.end ? rec.end - rec.start : null,
      debounceMs: rec ? rec.start - t0 : null,
      tookMs: rec ? rec.tookMs : null, hits: rec ? rec.hits : null,
      shown: results.querySelectorAll('[data-testid="search-result"]').length,
    });
  });
});
// The keys before the last: typed, answered, painted, and a tenth of a second to the next.
const typedAt = performance.now();
const settled = (then) => {
  const rec = calls.filter((c) => c.cmd === 'search_messages' && c.query === head.trim() && c.start >= typedAt).pop();
  if (!head.trim() || (rec && rec.end) || performance.now() - typedAt > 5000) afterPaint(() => setTimeout(then, 100));
  else setTimeout(() => settled(then), 5);
};
input.focus();
input.select();
document.execCommand('insertText', false, head);
settled(() => {
  observer.observe(results, { childList: true });
  setTimeout(() => { if (changedAt === null) { observer.disconnect(); done({ error: 'the results list did not change', timedOut: true }); } }, 10000);
  t0 = performance.now();
  document.execCommand('insertText', false, query.slice(-1));
});
"""

SEARCH_BACKEND = r"""
const [query, done] = arguments;
const invoke = window.__benchOrigInvoke || ((c, a) => window.__TAURI__.core.invoke(c, a));
const t0 = performance.now();
invoke('search_messages', { query, limit: 50 }).then(
  (r) => done({ roundTripMs: performance.now() - t0, tookMs: r.tookMs, hits: r.hits.length }),
  (e) => done({ error: String(e && (e.message || e.code) || e) }));
"""

CLEAR_SEARCH = r"""
const input = document.querySelector('[data-testid="search-input"]');
input.value = '';
input.dispatchEvent(new Event('input', { bubbles: true }));
input.blur();
"""

# Asks one question: optionally starts a new conversation first, then puts the text in the
# composer and lets it paint (a person sees what they typed before pressing Send), presses
# Send and waits for a new answer to be painted. The clock starts at the press.
SEND = AFTER_PAINT + r"""
const [text, fresh, done] = arguments;
const q = (s) => document.querySelector(s);
const answers = () => new Set([...document.querySelectorAll('[data-testid="message"][data-role="assistant"]')].map((m) => m.dataset.id));
const go = () => {
  const before = answers();
  const list = q('[data-testid="message-list"]');
  const input = q('[data-testid="composer-input"]');
  input.value = text;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  // Clicked in a task of its own once the text is painted, as a person's click comes: a
  // call made from inside an animation-frame callback waits for that frame's rendering
  // (an invoke's round trip 0.5 -> 1.4 ms here).
  afterPaint(() => setTimeout(() => press(before, list), 0));
};
const press = (before, list) => {
  let seenAt = null;
  let t0 = null;
  const newAnswer = () => [...document.querySelectorAll('[data-testid="message"][data-role="assistant"]')].some((m) => !before.has(m.dataset.id));
  const failed = () => document.querySelector('[data-testid="message"][data-role="error"]');
  const observer = new MutationObserver(() => {
    if (seenAt !== null) return;
    if (t0 === null) return;
    if (newAnswer()) {
      seenAt = performance.now();
      observer.disconnect();
      afterPaint((p) => done({ ms: p - t0, domMs: seenAt - t0 }));
    } else if (failed()) {
      observer.disconnect();
      done({ error: failed().textContent.slice(0, 200) });
    }
  });
  observer.observe(list, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-role'] });
  setTimeout(() => { if (seenAt === null) { observer.disconnect(); done({ error: 'no answer within 20 s' }); } }, 20000);
  t0 = performance.now();
  q('[data-testid="send-button"]').click();
};
if (fresh) {
  q('[data-testid="new-conversation"]').click();
  requestAnimationFrame(() => requestAnimationFrame(go));
} else go();
"""

# ---------------------------------------------------------------------------------------
# Processes and memory


def children_map():
    kids = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rfind(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(pid))
    return kids


def descendants(pid, kids=None):
    kids = kids if kids is not None else children_map()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def stop_group(proc):
    """Ends a process started in a session of its own (tauri-driver) with all it started."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def pid_of(binary, under):
    """The process running `binary` among the descendants of `under`."""
    for pid in descendants(under):
        try:
            if os.path.realpath(f"/proc/{pid}/exe") == os.path.realpath(binary):
                return pid
        except OSError:
            continue
    return None


def app_pid(driver_pid):
    """The app under our tauri-driver (tauri-driver -> WebKitWebDriver -> app)."""
    return pid_of(APP, driver_pid)


def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def memory(driver_pid, settle=2.0):
    """PSS of the app and every process under it (WebKitWebProcess, WebKitNetworkProcess)."""
    time.sleep(settle)
    root = app_pid(driver_pid)
    if root is None:
        return {"error": "app process not found"}
    parts = {}
    for pid in descendants(root):
        name = comm(pid)
        parts[f"{name}[{pid}]"] = round(pss_kb(pid) / 1024, 1)
    return {"pssMb": round(sum(parts.values()), 1), "processes": parts}


# ---------------------------------------------------------------------------------------
# Statistics


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def trimmed_mean(xs, cut=0.1):
    """The mean of what is left once the lowest and highest `cut` of the values are set
    aside: robust to a stray slow run as a median is, and not rounded to the readings'
    step as a median is (the page's clock reads whole milliseconds here)."""
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    k = int(len(xs) * cut)
    return statistics.mean(xs[k:len(xs) - k])


def pct(xs, p):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    k = min(len(xs) - 1, max(0, int(round(p / 100 * (len(xs) - 1)))))
    return xs[k]


def frame_stats(frames, window=120, slow=50.0):
    head = frames[:window]
    worst = 0
    slow_flags = [1 if f > slow else 0 for f in frames]
    run = sum(slow_flags[:window])
    worst = run
    for i in range(window, len(frames)):
        run += slow_flags[i] - slow_flags[i - window]
        worst = max(worst, run)
    return {
        "first120Slow": sum(1 for f in head if f > slow),
        "first120Max": max(head) if head else None,
        "first120Median": median(head),
        "first120P95": pct(head, 95),
        "frames": len(frames),
        "slowTotal": sum(slow_flags),
        "worst120Slow": worst,
        "max": max(frames) if frames else None,
        "median": median(frames),
        "p95": pct(frames, 95),
    }


# ---------------------------------------------------------------------------------------
# One case: one data directory, one fake server, one tauri-driver, a few app sessions.


class Case:
    def __init__(self, name, source_dir, info, args, log):
        self.name, self.info, self.args, self.log = name, info, args, log
        self.tmp = tempfile.mkdtemp(prefix=f"bench-{name}-", dir=CACHE)
        self.data = os.path.join(self.tmp, "data")
        os.makedirs(self.data)
        db = os.path.join(source_dir, "history.sqlite3")
        if os.path.exists(db):
            shutil.copyfile(db, os.path.join(self.data, "history.sqlite3"))
            # Written back now, not while the app starts: the kernel flushing the copy's
            # 600 MB made the first starts of some runs twice as slow (1.3 s against 0.6 s).
            os.sync()
        self.fake_port = free_port()
        self.fake = subprocess.Popen([FAKE, "--port", str(self.fake_port), "--answer", ANSWER],
                                     stdout=log, stderr=log)
        wait_port(self.fake_port)
        env = dict(os.environ, DYNASPARK_DATA_DIR=self.data,
                   DYNASPARK_ENDPOINT=f"http://127.0.0.1:{self.fake_port}/generate_response")
        self.driver_port = free_port()
        # Its own native WebDriver port: another tauri-driver (make e2e) may hold the default.
        self.driver = subprocess.Popen([tauri_driver_path(), "--port", str(self.driver_port),
                                        "--native-port", str(free_port())], env=env,
                                       stdout=log, stderr=log, start_new_session=True)
        wait_port(self.driver_port)
        self.url = f"http://127.0.0.1:{self.driver_port}"
        self.s = None
        self.r = {"name": name}

    def say(self, msg):
        print(f"[{self.name}] {msg}", flush=True)

    # -- start --------------------------------------------------------------------------

    def start(self):
        """Starts the app; returns (sidebar listed, ready) in ms from the session request."""
        wait_released(self.data)
        t0 = time.time() * 1000
        self.s = Session(self.url, APP)
        _call("POST", f"{self.s.base}/timeouts", {"script": 900_000})
        self.s.wait(lambda: self.s.execute("return document.body.dataset.ready === 'true'"),
                    timeout=120, what="the UI to be ready")
        polled = time.time() * 1000
        marks = self.s.wait(lambda: self.s.execute(
            "const m = window.__dsMarks; return m && m.ready ? m : (m === undefined ? {missing: true} : null)"),
            timeout=30, what="__dsMarks")
        if marks.get("missing"):
            return {"listedMs": None, "readyMs": polled - t0, "polled": True}
        listed = marks.get("sidebarListed")
        return {"listedMs": listed - t0 if listed else None, "readyMs": marks["ready"] - t0, "polled": False}

    def quit(self):
        if self.s:
            self.s.quit()
            self.s = None
            time.sleep(1.5)

    def measure_starts(self):
        runs = []
        for i in range(self.args.starts):
            if i:
                self.quit()
            runs.append(self.start())
            self.say(f"start {i + 1}: listed {fmt(runs[-1]['listedMs'])} ms, ready {fmt(runs[-1]['readyMs'])} ms")
        self.r["starts"] = runs
        self.r["listedMs"] = median(r["listedMs"] for r in runs)
        self.r["readyMs"] = median(r["readyMs"] for r in runs)

    # -- the big conversation -----------------------------------------------------------

    def open(self, cid, lo, hi, shown_ok=False):
        res = self.s.execute_async(OPEN_CONVERSATION, cid, lo, hi)
        if res.get("error"):
            if shown_ok and "already shown" in res["error"]:
                return None
            raise RuntimeError(f"opening {cid}: {res['error']}")
        return res

    def reopen_big(self, big):
        """Opens another conversation, then the big one again (so it opens at the bottom)."""
        other = self.info["other"]
        self.open(other["id"], other["firstMessageId"], other["lastMessageId"], shown_ok=True)
        return self.open(big["id"], big["firstMessageId"], big["lastMessageId"])

    def measure_big(self):
        big = self.info["big"]
        self.s.wait(lambda: self.s.execute(
            "return !!document.querySelector(`[data-testid=\"conversation-item\"][data-id=\"%d\"]`)" % big["id"]),
            timeout=30, what="the big conversation in the sidebar")
        # The app opens the newest conversation (the big one) at start: each sample opens
        # another one first.
        opens = [self.reopen_big(big) for _ in range(self.args.opens)]
        self.r["opens"] = opens
        self.r["openMs"] = median(o["paintedMs"] for o in opens)
        self.r["openMarkMs"] = median(o["markMs"] for o in opens)
        self.r["openDomMs"] = median(o["domMs"] for o in opens)
        self.say(f"open big: {[fmt(o['paintedMs']) for o in opens]} ms (painted)")
        self.r["memoryAfterOpen"] = memory(self.driver.pid)
        self.say(f"PSS after opening: {self.r['memoryAfterOpen'].get('pssMb')} MB")

        jumps = []
        for _ in range(self.args.opens):
            jumps.append(self.s.execute_async(JUMP_OLDEST, big["firstMessageId"]))
            self.reopen_big(big)
        self.r["jumps"] = jumps
        self.r["jumpOldestMs"] = median(j.get("paintedMs") for j in jumps)
        self.r["jumpOldestDomMs"] = median(j.get("domMs") for j in jumps)
        self.say(f"jump to oldest: {[fmt(j.get('paintedMs')) for j in jumps]} ms")

        scroll = _call("POST", f"{self.s.base}/execute/async",
                       {"script": SCROLL_TO_TOP, "args": [big["firstMessageId"], self.args.max_frames, 240_000]},
                       timeout=400)
        frames = scroll.pop("frames")
        scroll.update(frame_stats(frames))
        scroll["frameTimes"] = [round(f, 1) for f in frames]
        self.r["scroll"] = scroll
        self.say(f"scroll: reached oldest at frame {scroll['reachedFrame']} of {scroll['frames']}, "
                 f"first 120: {scroll['first120Slow']} over 50 ms, worst 120: {scroll['worst120Slow']}")
        self.r["memoryAfterScroll"] = memory(self.driver.pid)

    # -- search -------------------------------------------------------------------------

    def measure_search(self):
        wrapped = self.s.execute(WRAP_INVOKE)
        queries = [QUERIES[i % len(QUERIES)] for i in range(self.args.queries)]
        ui, backend = [], []
        for q in queries:
            ui.append(dict(self.s.execute_async(SEARCH_UI, q), query=q))
        self.s.execute(CLEAR_SEARCH)
        for q in queries:
            backend.append(dict(self.s.execute_async(SEARCH_BACKEND, q), query=q))
        errors = [u for u in ui if u.get("error")]
        self.r["search"] = {
            "wrappedInvoke": wrapped,
            "uiMedian": median(u.get("uiMs") for u in ui), "uiP95": pct([u.get("uiMs") for u in ui], 95),
            "domMedian": median(u.get("domMs") for u in ui),
            "callToPaintMedian": median(u.get("callToPaintMs") for u in ui),
            "callToPaintP95": pct([u.get("callToPaintMs") for u in ui], 95),
            "debounceMedian": median(u.get("debounceMs") for u in ui),
            "uiTookMedian": median(u.get("tookMs") for u in ui), "uiTookP95": pct([u.get("tookMs") for u in ui], 95),
            "backendRoundTripMedian": median(b.get("roundTripMs") for b in backend),
            "backendRoundTripP95": pct([b.get("roundTripMs") for b in backend], 95),
            "tookMedian": median(b.get("tookMs") for b in backend), "tookP95": pct([b.get("tookMs") for b in backend], 95),
            "tookMax": max((b.get("tookMs") or 0) for b in backend),
            "slowest": sorted(backend, key=lambda b: -(b.get("tookMs") or 0))[:5],
            "errors": len(errors), "ui": ui, "backend": backend,
        }
        s = self.r["search"]
        self.say(f"search: UI median {fmt(s['uiMedian'])} / p95 {fmt(s['uiP95'])} ms, "
                 f"backend tookMs median {fmt(s['tookMedian'])} / p95 {fmt(s['tookP95'])} ms, {len(errors)} errors")

    # -- asking -------------------------------------------------------------------------

    def ask(self, text, fresh, dom=None):
        res = self.s.execute_async(SEND, text, fresh)
        if res.get("error"):
            raise RuntimeError(f"asking {text!r}: {res['error']}")
        if dom is not None:
            dom.append(res["domMs"])
        return res["ms"]

    def measure_send(self):
        self.ask("Warm-up question?", True)
        dom = []
        times = [self.ask(f"Question {i}: what is the answer?", False, dom) for i in range(self.args.sends)]
        self.r["sends"] = times
        self.r["sendsDom"] = dom
        self.r["sendMedian"] = median(times)
        self.r["sendDomMedian"] = median(dom)
        self.say(f"send -> answer: median {fmt(self.r['sendMedian'])} ms over {len(times)}")

    def measure_long_day(self):
        n = self.args.questions
        check = min(200, n)
        times, marks, trend = [], {}, {}
        started = time.time()
        for i in range(n):
            times.append(self.ask(f"Long day question {i + 1}: how is it going?", i % 25 == 0))
            # Every 200 questions, PSS of the web process and of all (a leak climbs at each;
            # garbage not yet collected comes and goes).
            sampled = (i + 1) % 200 == 0
            checkpoint = i + 1 in (check, n) and i + 1 not in marks
            m = memory(self.driver.pid) if sampled or checkpoint else None
            if sampled:
                web = sum(v for k, v in m.get("processes", {}).items() if k.startswith("WebKitWebProces"))
                trend[i + 1] = {"pssMb": m.get("pssMb"), "webProcessMb": round(web, 1)}
            if checkpoint:
                window = times[max(0, i + 1 - 50):]
                marks[i + 1] = {"memory": m, "sendMedianLast50": median(window),
                                "sendP95Last50": pct(window, 95), "elapsedS": round(time.time() - started, 1)}
                self.say(f"long day after {i + 1}: PSS {marks[i + 1]['memory'].get('pssMb')} MB, "
                         f"send median (last 50) {fmt(marks[i + 1]['sendMedianLast50'])} ms")
        if trend:
            self.say("long day, PSS all / web process every 200 questions (MB): " +
                     ", ".join(f"{k}: {v['pssMb']} / {v['webProcessMb']}" for k, v in trend.items()))
        self.r["longDay"] = {"questions": n, "checkpoints": {str(k): v for k, v in marks.items()},
                             "trend": {str(k): v for k, v in trend.items()},
                             "sendTimes": [round(t, 1) for t in times]}

    # -- all ----------------------------------------------------------------------------

    def run(self):
        self.measure_starts()
        if self.info.get("big"):
            self.measure_big()
        else:
            self.r["memoryAfterOpen"] = memory(self.driver.pid)
            self.say(f"PSS after start (nothing to open): {self.r['memoryAfterOpen'].get('pssMb')} MB")
        self.measure_search()
        self.measure_send()
        if self.args.questions:
            self.measure_long_day()
        return self.r

    def close(self):
        self.quit()
        stop_group(self.driver)
        self.fake.terminate()
        self.fake.wait(10)
        if not self.args.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------
# Histories


def history(conversations, messages, big, regenerate=False):
    """A generated history, kept in target/bench-history/ and made again when history-gen
    is newer than it. Returns (directory, what history-gen reported)."""
    d = os.path.join(CACHE, f"history-{conversations}-{messages}-{big}")
    info_path = os.path.join(d, "history-gen.json")
    stale = (not os.path.exists(info_path)
             or os.path.getmtime(GEN) > os.path.getmtime(info_path) or regenerate)
    if stale:
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        print(f"generating {conversations} conversations, {messages} messages (big: {big}) in {d}", flush=True)
        subprocess.run([GEN, "--dir", d, "--conversations", str(conversations), "--messages", str(messages),
                        "--big", str(big)], check=True)
    with open(info_path) as f:
        info = json.load(f)
    if info.get("big"):
        info["other"] = newest_other(os.path.join(d, "history.sqlite3"), info["big"]["id"])
    return d, info


def newest_other(db_path, big_id):
    """The newest conversation after the big one: opened in between, so the big one opens
    afresh each time."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        cid, lo, hi = db.execute(
            "SELECT c.id, MIN(m.id), MAX(m.id) FROM conversations c JOIN messages m ON m.conversation_id = c.id"
            " WHERE c.id != ? AND c.pinned = 0 GROUP BY c.id ORDER BY c.updated_at DESC LIMIT 1", (big_id,)).fetchone()
    finally:
        db.close()
    return {"id": cid, "firstMessageId": lo, "lastMessageId": hi}


# ---------------------------------------------------------------------------------------
# The table


def fmt(v, digits=0):
    if v is None:
        return "—"
    return f"{v:,.{digits}f}"


def verdict(ok):
    return "—" if ok is None else ("PASS" if ok else "MISS")


def ratio_ok(full, empty, limit):
    if full is None or empty is None:
        return None
    return full <= empty * limit


def rows(e, f, args):
    """(figure, empty, full, target, PASS/MISS) for the table."""
    out = []
    out.append(("1. start → sidebar listed (ms, median of %d)" % args.starts, fmt(e.get("listedMs")), fmt(f.get("listedMs")),
                "full ≤ 1.3× empty", verdict(ratio_ok(f.get("listedMs"), e.get("listedMs"), 1.3))))
    out.append(("   start → ready (ms)", fmt(e.get("readyMs")), fmt(f.get("readyMs")), "", ""))
    big_n = (f.get("info") or {}).get("big", {}) or {}
    open_ms = f.get("openMs")
    out.append((f"2. open {big_n.get('messages', '?')}-message conversation: click → first messages painted (ms, median of {args.opens})",
                "—", fmt(open_ms), "< 200 ms", verdict(None if open_ms is None else open_ms < 200)))
    out.append(("   the app's own opened mark (ms)", "—", fmt(f.get("openMarkMs")), "", ""))
    out.append(("   click → first messages in the DOM (ms)", "—", fmt(f.get("openDomMs")), "", ""))
    jump = f.get("jumpOldestMs")
    out.append(("   jump to oldest → painted (ms)", "—", fmt(jump), "< 200 ms", verdict(None if jump is None else jump < 200)))
    out.append(("   jump to oldest → in the DOM (ms)", "—", fmt(f.get("jumpOldestDomMs")), "", ""))
    sc = f.get("scroll") or {}
    first = sc.get("first120Slow")
    out.append(("3. scroll bottom → top: frames > 50 ms in the first 120", "—", fmt(first), "≤ 3 of 120",
                verdict(None if first is None else first <= 3)))
    out.append(("   worst 120-frame window: frames > 50 ms", "—", fmt(sc.get("worst120Slow")), "≤ 3 of 120",
                verdict(None if sc.get("worst120Slow") is None else sc["worst120Slow"] <= 3)))
    out.append(("   frame time median / p95 / max (ms)", "—",
                f"{fmt(sc.get('median'), 1)} / {fmt(sc.get('p95'), 1)} / {fmt(sc.get('max'), 1)}" if sc else "—", "", ""))
    reached = sc.get("reachedFrame")
    out.append(("   reached the oldest message", "—",
                (f"yes, frame {reached}" if reached is not None else f"no ({sc.get('frames')} frames)") if sc else "—",
                "yes", verdict(None if not sc else reached is not None)))
    out.append(("   message nodes in the DOM (max seen)", "—", fmt(sc.get("maxNodes")), "bounded", ""))
    es, fs = e.get("search") or {}, f.get("search") or {}
    for label, key in (("median", "uiMedian"), ("p95", "uiP95")):
        v = fs.get(key)
        out.append((f"4. search in the UI, typed → results painted, {label} (ms)", fmt(es.get(key)), fmt(v),
                    "< 50 ms", verdict(None if v is None else v < 50)))
    out.append(("   typed → results in the DOM, median (ms)", fmt(es.get("domMedian")), fmt(fs.get("domMedian")), "", ""))
    for label, key in (("median", "callToPaintMedian"), ("p95", "callToPaintP95")):
        v = fs.get(key)
        out.append((f"   from the search call (input → call {fmt(fs.get('debounceMedian'))} ms) → painted, {label}",
                    fmt(es.get(key)), fmt(v), "< 50 ms", verdict(None if v is None else v < 50)))
    out.append(("   backend tookMs median / p95 / max (ms)",
                f"{fmt(es.get('tookMedian'), 1)} / {fmt(es.get('tookP95'), 1)} / {fmt(es.get('tookMax'), 1)}",
                f"{fmt(fs.get('tookMedian'), 1)} / {fmt(fs.get('tookP95'), 1)} / {fmt(fs.get('tookMax'), 1)}", "", ""))
    out.append(("   invoke round trip median / p95 (ms)",
                f"{fmt(es.get('backendRoundTripMedian'), 1)} / {fmt(es.get('backendRoundTripP95'), 1)}",
                f"{fmt(fs.get('backendRoundTripMedian'), 1)} / {fmt(fs.get('backendRoundTripP95'), 1)}", "", ""))
    out.append((f"5. Send → answer shown (ms, median of {args.sends})", fmt(e.get("sendMedian")), fmt(f.get("sendMedian")),
                "full ≤ 1.2× empty", verdict(ratio_ok(f.get("sendMedian"), e.get("sendMedian"), 1.2))))
    out.append(("   Send → answer in the DOM, before painting (ms, median)", fmt(e.get("sendDomMedian")),
                fmt(f.get("sendDomMedian")), "", ""))
    em, fm = (e.get("memoryAfterOpen") or {}).get("pssMb"), (f.get("memoryAfterOpen") or {}).get("pssMb")
    out.append(("6. PSS, app + WebKit processes (MB; full: big conversation open)", fmt(em), fmt(fm),
                "full ≤ empty + 60 MB", verdict(None if em is None or fm is None else fm <= em + 60)))
    out.append(("   PSS after the scroll (MB)", "—", fmt((f.get("memoryAfterScroll") or {}).get("pssMb")), "", ""))
    n = args.questions
    check = min(200, n)
    def day(r, k, what):
        cp = ((r.get("longDay") or {}).get("checkpoints") or {}).get(str(k)) or {}
        return cp.get("memory", {}).get("pssMb") if what == "pss" else cp.get("sendMedianLast50")
    if n:
        out.append((f"7. long day: PSS after {check} / {n} questions (MB)",
                    f"{fmt(day(e, check, 'pss'))} / {fmt(day(e, n, 'pss'))}",
                    f"{fmt(day(f, check, 'pss'))} / {fmt(day(f, n, 'pss'))}", "", ""))
        growth = []
        for r in (e, f):
            a, b = day(r, check, "pss"), day(r, n, "pss")
            growth.append(None if a is None or b is None else b - a)
        out.append((f"   PSS growth from {check} to {n} (MB)", fmt(growth[0]), fmt(growth[1]), "< 50 MB",
                    verdict(None if None in growth else all(g < 50 for g in growth))))
        flat = []
        for r in (e, f):
            a, b = day(r, check, "send"), day(r, n, "send")
            flat.append(None if a is None or b is None else b <= max(a * 1.25, a + 10))
        out.append((f"   Send → answer, median of the last 50, at {check} / {n} (ms)",
                    f"{fmt(day(e, check, 'send'))} / {fmt(day(e, n, 'send'))}",
                    f"{fmt(day(f, check, 'send'))} / {fmt(day(f, n, 'send'))}",
                    "flat (≤ 1.25× or +10 ms)", verdict(None if None in flat else all(flat))))
    return out


def table(rs):
    widths = [max(len(r[i]) for r in rs) for i in range(5)]
    head = ("figure", "empty", "full", "target", "")
    widths = [max(w, len(h)) for w, h in zip(widths, head)]
    line = lambda r: "  ".join([r[0].ljust(widths[0])] + [r[i].rjust(widths[i]) for i in (1, 2)]
                               + [r[3].ljust(widths[3]), r[4]])
    return "\n".join([line(head), "-" * (sum(widths) + 10)] + [line(r) for r in rs])


def has_gpu():
    """Whether the machine lists a GPU render node: without one the app turns WebKit's
    compositing off (src-tauri/src/rendering.rs)."""
    try:
        return any(name.startswith("renderD") for name in os.listdir("/dev/dri"))
    except OSError:
        return False


def rendering_note(env, empty_window=None):
    """How the page was drawn, for a results header. `empty_window` ("same" or "default"):
    how make bench drew its empty window beside the app."""
    if env["compositingEnv"] is not None:
        return f"WEBKIT_DISABLE_COMPOSITING_MODE={env['compositingEnv']} set from outside"
    if env["gpu"]:
        return "a GPU render node: WebKit's default (composited)"
    note = "no GPU: the app draws without compositing"
    if empty_window is not None:
        note += "; the empty window " + ("the same" if empty_window == "same" else "as WebKit's default (composited)")
    return note


def environment():
    def out(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    webkit = out(["dpkg-query", "-W", "-f=${Version}", "libwebkit2gtk-4.1-0"])
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(), "webkit2gtk": webkit,
            "gpu": has_gpu(), "compositingEnv": os.environ.get("WEBKIT_DISABLE_COMPOSITING_MODE"),
            "commit": out(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]),
            "dirty": bool(out(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"]))}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--conversations", type=int, default=10_000)
    p.add_argument("--messages", type=int, default=200_000)
    p.add_argument("--big", type=int, default=5_000)
    p.add_argument("--questions", type=int, default=2_000, help="the long day's questions (0: skip it)")
    p.add_argument("--starts", type=int, default=5, help="app starts per case (median; starts here are bimodal, 600-700 or 900-1,300 ms)")
    p.add_argument("--opens", type=int, default=5, help="opens of the big conversation (median)")
    p.add_argument("--queries", type=int, default=100)
    p.add_argument("--sends", type=int, default=10)
    p.add_argument("--max-frames", type=int, default=20_000, help="give up scrolling after this many frames")
    p.add_argument("--only", choices=["empty", "full"], help="run one case only")
    p.add_argument("--regenerate", action="store_true", help="generate the heavy history again")
    p.add_argument("--keep", action="store_true", help="keep the data directories copied for the runs")
    args = p.parse_args()

    for path in (APP, FAKE, GEN):
        if not os.path.exists(path):
            sys.exit(f"{path} is missing: run `make bench-history` (it builds the release binaries)")
    if not os.environ.get("DISPLAY"):
        sys.exit("no X display: run under xvfb-run (make bench-history does)")
    os.makedirs(CACHE, exist_ok=True)
    os.makedirs(RESULTS, exist_ok=True)

    empty_dir, empty_info = history(0, 0, 0)
    full_dir, full_info = history(args.conversations, args.messages, args.big, args.regenerate)
    print(f"heavy history: {full_info['conversations']} conversations, {full_info['messages']} messages, "
          f"{full_info['bytes'] / MB:.0f} MB, generated in {full_info['seconds']:.1f} s", flush=True)

    results = {}
    log_path = os.path.join(CACHE, "bench.log")
    with open(log_path, "w") as log:
        for name, d, info in (("empty", empty_dir, empty_info), ("full", full_dir, full_info)):
            if args.only and args.only != name:
                continue
            case = Case(name, d, info, args, log)
            try:
                results[name] = case.run()
                results[name]["info"] = info
            except (WebDriverError, RuntimeError, AssertionError, OSError) as e:
                print(f"[{name}] FAILED: {e} (log: {log_path})", flush=True)
                results[name] = dict(case.r, info=info, error=str(e))
            finally:
                case.close()

    e, f = results.get("empty", {}), results.get("full", {})
    text = table(rows(e, f, args))
    print()
    print(text)
    default = (args.conversations, args.messages, args.big, args.questions) == (10_000, 200_000, 5_000, 2_000)
    stamp = datetime.date.today().isoformat()
    out_path = os.path.join(RESULTS, f"history-{stamp}{'' if default and not args.only else '-custom'}.txt")
    env = environment()
    header = (f"make bench-history, {datetime.datetime.now().isoformat(timespec='seconds')}\n"
              f"commit {env['commit']}{' (with local changes)' if env['dirty'] else ''}; {env['cpu']}, "
              f"{env['cores']} cores; Linux {env['kernel']}; WebKitGTK {env['webkit2gtk']}; Xvfb 1600x900\n"
              f"rendering: {rendering_note(env)}\n"
              f"heavy history: {full_info['conversations']} conversations, {full_info['messages']} messages "
              f"(one of {args.big}), {full_info['bytes'] / MB:.0f} MB; generated in {full_info['seconds']:.1f} s\n"
              f"args: {vars(args)}\n")
    with open(out_path, "w") as fh:
        fh.write(header + "\n" + text + "\n\nraw:\n")
        json.dump({"args": vars(args), "environment": env, "results": results}, fh, ensure_ascii=False, indent=1)
        fh.write("\n")
    print(f"\nwritten to {os.path.relpath(out_path, ROOT)}")
    return 1 if any(r.get("error") for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
