#!/usr/bin/env python3
"""What drawing the app's window costs, and which styles the cost comes from.

The app (a release build) in a real window under Xvfb, started through tauri-driver with
a few questions asked (so the sidebar has rows and the conversation a question and an
answer). Then, for each variant, one rule added to the page's style sheet (none for
`app`), and `--frames` animation frames that each change the text colour of the whole
page, so every frame styles and paints the whole window again. Printed per variant: the
median over `--reps` rounds of the CPU time the WebKit web process and the app's own
process spent per frame (from /proc, so a busy machine slows it less than it blurs wall
times), and the wall time per frame (at least a display frame, 16.7 ms).

The variants take parts away (`no-sidebar`, `no-composer`, `no-shadows`, ...) or try
other shadows, so a style's share is read as the difference from `app`. This is how
the two-layer shadow was found to cost about 40% of a repaint (2026-11-27). No target:
a tool for changes to ui/styles.css. Results go to bench/results/paint-<date>[-label].txt.

`make bench-paint` builds the release binary first; this script builds nothing and
reads it from $CARGO_TARGET_DIR/release (or target/release). Options: --variants a,b,c
(default: all), --frames N, --reps N, --label L. Standard library only.
"""
import argparse
import datetime
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import footprint_bench as fb  # noqa: E402
from history_bench import WRAP_INVOKE, comm, descendants, pid_of  # noqa: E402

VARIANTS = {
    "app": None,
    "no-shadows": "* { box-shadow: none !important; }",
    "no-sidebar": ".sidebar { display: none !important; }",
    "no-sidebar-rows": ".vlist-spacer { visibility: hidden !important; }",
    "no-conversation": "[data-testid=\"message-list\"] { visibility: hidden !important; }",
    "no-composer": ".composer-box { visibility: hidden !important; }",
    "no-radius": "* { border-radius: 0 !important; }",
    "no-icons": "svg { display: none !important; }",
    # Other shadows for the raised surfaces (composer, open row, New conversation).
    "shadow-2-layers": ":root { --shadow: 0 1px 2px rgba(20, 20, 40, .06), 0 4px 16px rgba(20, 20, 40, .06) !important; }",
    "shadow-tight": ":root { --shadow: 0 1px 2px rgba(20, 20, 40, .08) !important; }",
    "shadow-crisp": ":root { --shadow: 0 1px 0 rgba(20, 20, 40, .08), 0 2px 0 rgba(20, 20, 40, .03) !important; }",
}

# Added once: the class toggled each frame, and what it changes (every text colour).
DIRTY_RULE = ".paint-bench-dirty body { color: #020202 !important; }"
SET_RULES = r"""
const sheet = document.styleSheets[0];
while ((window.__paintBenchRules || 0) > 0) { sheet.deleteRule(sheet.cssRules.length - 1); window.__paintBenchRules--; }
for (const rule of arguments[0]) { sheet.insertRule(rule, sheet.cssRules.length); window.__paintBenchRules = (window.__paintBenchRules || 0) + 1; }
"""
SETTLE = "requestAnimationFrame(() => requestAnimationFrame(() => arguments[0]()));"
FRAMES = r"""
const [frames, done] = arguments;
let i = 0;
const t0 = performance.now();
const step = () => {
  document.documentElement.classList.toggle('paint-bench-dirty');
  if (++i < frames) requestAnimationFrame(step);
  else requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now() - t0)));
};
requestAnimationFrame(step);
"""


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated, from: " + ", ".join(VARIANTS))
    p.add_argument("--frames", type=int, default=60, help="repaints per round")
    p.add_argument("--reps", type=int, default=3, help="rounds per variant (median)")
    p.add_argument("--questions", type=int, default=12, help="questions asked first (sidebar rows)")
    p.add_argument("--target-dir", default=os.environ.get("CARGO_TARGET_DIR") or os.path.join(fb.ROOT, "target"))
    p.add_argument("--label", default="")
    args = p.parse_args()
    variants = args.variants.split(",")
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        p.error(f"unknown variants: {', '.join(unknown)}")
    binary = os.path.join(args.target_dir, "release", "dynaspark-desktop")
    if not os.path.exists(binary):
        sys.exit(f"{binary} is missing: build it first (make bench-paint)")
    bench_args = argparse.Namespace(runs=1, sends=1, settle=0, parts=[], target_dir=args.target_dir, extra_app=[],
                                    empty_rendering="same", label=args.label, keep=False)
    os.makedirs(os.path.join(fb.ROOT, "bench", "results"), exist_ok=True)
    log_path = os.path.join(args.target_dir, "bench-paint.log")
    lines = []

    def say(line):
        print(line, flush=True)
        lines.append(line)

    with open(log_path, "w") as log:
        b = fb.Bench(bench_args, [("app", binary, fb.APP_TITLE)], log)
        try:
            b.start_fake()
            b.start_driver()
            s, _ = b.session(binary, title=fb.APP_TITLE)
            s.execute(WRAP_INVOKE)
            for i in range(args.questions):
                b.fake_clear()
                b.ask(s, f"Question {i + 1}: what is in the picture?", True)
            app_pid = pid_of(binary, b.driver.pid)
            pids = descendants(app_pid)
            # The app's own process, and WebKit's web process (the page: style, layout, paint).
            kinds = {pid: "app" if pid == app_pid else "web" if comm(pid).startswith("WebKitWebProc") else None
                     for pid in pids}
            s.execute(SET_RULES, [])
            s.execute("document.styleSheets[0].insertRule(arguments[0], 0);", DIRTY_RULE)
            results = {v: [] for v in variants}
            for _ in range(args.reps):
                for v in variants:  # interleaved, so drift in the machine touches all alike
                    s.execute(SET_RULES, [VARIANTS[v]] if VARIANTS[v] else [])
                    s.execute_async(SETTLE)
                    before = {pid: fb.process_cpu(pid) for pid in pids}
                    wall = s.execute_async(FRAMES, args.frames)
                    after = {pid: fb.process_cpu(pid) for pid in pids}
                    per = {"app": 0.0, "web": 0.0}
                    for pid, kind in kinds.items():
                        if kind and after[pid] is not None and before[pid] is not None:
                            per[kind] += (after[pid] - before[pid]) * 1000 / args.frames
                    results[v].append((wall / args.frames, per))
            b.end_session(s, binary)
        finally:
            b.close()
    say(f"# paint_bench {datetime.datetime.now().isoformat(timespec='seconds')}: {binary}")
    say(f"# {args.frames} full repaints per round, median of {args.reps} rounds; {args.questions} "
        f"conversations in the sidebar; window 1100 x 760 under Xvfb")
    say(f"{'variant':18} {'web process ms/frame':>21} {'app ms/frame':>13} {'wall ms/frame':>14}")
    base = None
    for v in variants:
        rs = results[v]
        web = statistics.median(per["web"] for _, per in rs)
        app = statistics.median(per["app"] for _, per in rs)
        wall = statistics.median(w for w, _ in rs)
        if v == "app":
            base = web
        share = f"  ({web - base:+.1f})" if base is not None and v != "app" else ""
        say(f"{v:18} {web:21.1f} {app:13.1f} {wall:14.1f}{share}")
    name = f"paint-{datetime.date.today().isoformat()}{'-' + args.label if args.label else ''}.txt"
    with open(os.path.join(fb.ROOT, "bench", "results", name), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"written to bench/results/{name}")


if __name__ == "__main__":
    main()
