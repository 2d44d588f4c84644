#!/usr/bin/env python3
"""Scrolling the 5,000-message conversation alone, frame by frame: the quick check
behind the message list's paging constants (ui/views/conversation.js CHUNK, EDGE_PX).

Uses the heavy history and the release binaries of `make bench-history` (run that once
first; $CARGO_TARGET_DIR is honoured). For each run: opens the big conversation at its
latest message, then scrolls up one list height per animation frame for 120 frames,
and prints the slow frames (> 50 ms), the median and the worst, then every frame time
with `+N` where N messages entered the DOM during it. Run under Xvfb:

    xvfb-run -a -s "-screen 0 1600x900x24" python3 bench/scroll_probe.py --runs 3
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import history_bench as hb  # noqa: E402

SCROLL = r"""
const [frameCount, done] = arguments;
const list = document.querySelector('[data-testid="message-list"]');
const column = list.querySelector('.column');
const step = list.clientHeight;
const frames = [], added = [];
let pending = 0, last = null;
const observer = new MutationObserver((records) => {
  for (const r of records) for (const n of r.addedNodes) if (n.dataset && n.dataset.testid === 'message') pending++;
});
observer.observe(column, { childList: true });
const tick = (ts) => {
  if (last !== null) { frames.push(ts - last); added.push(pending); }
  pending = 0;
  last = ts;
  if (frames.length >= frameCount) { observer.disconnect(); return done({ frames, added, step }); }
  list.scrollTop -= step;
  requestAnimationFrame(tick);
};
list.scrollTop = list.scrollHeight;
requestAnimationFrame(tick);
"""


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--frames", type=int, default=120)
    args = p.parse_args()
    full_dir, info = hb.history(10_000, 200_000, 5_000)
    opts = argparse.Namespace(starts=1, opens=1, queries=0, sends=0, questions=0, max_frames=args.frames, keep=False)
    os.makedirs(hb.CACHE, exist_ok=True)
    with open(os.path.join(hb.CACHE, "scroll-probe.log"), "w") as log:
        case = hb.Case("full", full_dir, info, opts, log)
        try:
            case.start()
            big = info["big"]
            case.s.wait(lambda: case.s.execute(
                "return !!document.querySelector(`[data-testid=\"conversation-item\"][data-id=\"%d\"]`)" % big["id"]),
                timeout=30, what="the big conversation in the sidebar")
            for run in range(1, args.runs + 1):
                case.reopen_big(big)
                time.sleep(1)
                r = hb._call("POST", f"{case.s.base}/execute/async",
                             {"script": SCROLL, "args": [args.frames + 1]}, timeout=400)
                frames = r["frames"][:args.frames]
                slow = sum(1 for f in frames if f > 50)
                flags = [f > 50 for f in frames]
                window = max(sum(flags[i:i + 120]) for i in range(max(1, len(flags) - 119)))
                print(f"run {run}: step {r['step']} px; {slow} of {len(frames)} frames over 50 ms "
                      f"(at most {window} in any 120); median {hb.median(frames):.0f} ms, "
                      f"worst {max(frames):.0f} ms", flush=True)
                print("   " + " ".join(f"{f:.0f}" + (f"+{a}" if a else "") for f, a in zip(frames, r["added"])), flush=True)
        finally:
            case.close()


if __name__ == "__main__":
    main()
