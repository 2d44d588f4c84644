"""Takes the README's screenshots (docs/screenshots/) from the real app under Xvfb, with
the fake server scripted to give realistic answers. Run: make screenshots"""
import os
import shutil
import struct
import subprocess
import sys
import time
import zlib

from desktop import choose_file_in_dialog
from harness import ROOT, TARGET, Harness
from webdriver import KEYS

DOCS = os.path.join(ROOT, "docs", "screenshots")

ANSWER = """This is a **sunset over the sea**, drawn in flat colours:

- a warm gradient sky, from orange near the horizon to deep purple at the top;
- a large yellow sun, half set behind the horizon;
- dark blue water in the lower third.

| Element | Colour | Share of the picture |
|---|---|---|
| Sky | orange → purple | about 60% |
| Sun | yellow | about 10% |
| Sea | dark blue | about 30% |

If you want to recreate it, a linear gradient does the sky:

```css
background: linear-gradient(#3b1d6e, #f08a3c);
```

More on colour harmony: [Wikipedia](https://en.wikipedia.org/wiki/Color_scheme)."""


RICH_EN = r"""The **mean** of $n$ values is their sum divided by $n$:

$$\bar{x} = \frac{1}{n}\sum_{i=1}^{n} x_i$$

| Value | Weight | Share |
|:--|:-:|--:|
| 3.5 | 2 | 40% |
| 7.0 | 3 | 60% |

In Python:

```python
def mean(xs):
    return sum(xs) / len(xs)
```"""

RICH_RU = r"""**Среднее** из $n$ значений — их сумма, делённая на $n$:

$$\bar{x} = \frac{1}{n}\sum_{i=1}^{n} x_i$$

| Значение | Вес | Доля |
|:--|:-:|--:|
| 3,5 | 2 | 40% |
| 7,0 | 3 | 60% |

На Python:

```python
def mean(xs):
    return sum(xs) / len(xs)
```"""


def sunset_png(w=320, h=200):
    rows = []
    for y in range(h):
        row = bytearray()
        for x in range(w):
            if y > h * 0.62:
                c = (24, 44, 92)
            elif (x - w * 0.5) ** 2 + (y - h * 0.62) ** 2 < (h * 0.22) ** 2:
                c = (252, 214, 80)
            else:
                t = y / (h * 0.62)
                c = (int(59 + (240 - 59) * t), int(29 + (138 - 29) * t), int(110 + (60 - 110) * t))
            row += bytes(c)
        rows.append(b"\0" + bytes(row))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))


def main():
    os.makedirs(DOCS, exist_ok=True)
    h = Harness("screenshots")
    try:
        # A lived-in history, so the sidebar looks as it does after months of use.
        os.makedirs(h.data_dir)
        subprocess.run([os.path.join(TARGET, "debug", "history-gen"), "--dir", h.data_dir,
                        "--conversations", "600", "--messages", "6000", "--big", "600", "--pinned", "2"],
                       check=True, stdout=subprocess.DEVNULL)
        s = h.start_app()
        pic = os.path.join(h.files, "sunset.png")
        with open(pic, "wb") as f:
            f.write(sunset_png())

        def send(text):
            box = s.tid("composer-input")
            box.click()
            box.send_keys(text)
            box.send_keys(KEYS["enter"])

        def shot(name):
            # "Settings saved." notes and the focus left on a sidebar button are not the point.
            s.execute("document.querySelectorAll('[data-testid=toasts] > *').forEach((t) => t.remove())")
            time.sleep(0.6)
            shutil.copy(h.screenshot(name), os.path.join(DOCS, f"{name}.png"))

        h.fake.script(queue=[{"kind": "answer", "text": ANSWER}], fallback={"kind": "echo"})
        s.tid("new-conversation").click()
        s.tid("attach-button").click()
        choose_file_in_dialog(pic)
        s.wait(lambda: s.tid("attachment-chip").displayed(), what="the attachment")
        send("What is in this picture?")
        s.wait(lambda: s.find_all('[data-role="assistant"]'), what="the answer")
        s.execute("document.querySelector('[data-testid=message-list]').scrollTop = 0")
        shot("conversation")

        search = s.tid("search-input")
        search.click()
        search.send_keys("borrow check")
        s.wait(lambda: s.tids("search-result"), what="search results")
        shot("search")
        search.send_keys(KEYS["escape"])

        s.tid("new-conversation").click()
        h.fake.script(queue=[{"kind": "delay", "ms": 20000, "then": {"kind": "echo"}}])
        send("Summarise the history of the bicycle in five bullet points.")
        s.wait(lambda: s.tid("pending-waking").displayed(), timeout=15, what="the waking hint")
        shot("pending")
        s.tid("cancel-button").click()

        # One attempt, so the failure shows at once (the app would retry a 502 for minutes).
        s.tid("settings-button").click()
        s.wait(lambda: s.tid("settings-dialog").displayed(), what="settings")
        s.tid("settings-retry-attempts").clear().send_keys("1")
        s.tid("settings-save").click()
        s.wait(lambda: not s.tid("settings-dialog").displayed(), what="the settings to close")
        s.tid("new-conversation").click()
        h.fake.script(queue=[{"kind": "bad_gateway_html"}], fallback={"kind": "echo"})
        send("Is the service awake yet?")
        s.wait(lambda: s.find_all('[data-role="error"]'), what="the error")
        shot("error")

        s.tid("settings-button").click()
        s.wait(lambda: s.tid("settings-dialog").displayed(), what="settings")
        shot("settings")
        s.tid("settings-cancel").click()

        # A formula, a table and code, in each theme and language (issue 14's set).
        def settle(theme, language):
            s.tid("settings-button").click()
            s.wait(lambda: s.tid("settings-dialog").displayed(), what="settings")
            s.execute("for (const [id, v] of arguments[0]) { const el = document.querySelector(`[data-testid=${id}]`);"
                      " el.value = v; el.dispatchEvent(new Event('change', { bubbles: true })); }",
                      [["settings-theme", theme], ["settings-language", language]])
            s.tid("settings-save").click()
            s.wait(lambda: not s.tid("settings-dialog").displayed(), what="the settings to close")

        for language, question, answer in (("en", "How do I compute a mean?", RICH_EN),
                                           ("ru", "Как посчитать среднее?", RICH_RU)):
            settle("light", language)
            s.tid("new-conversation").click()
            h.fake.script(queue=[{"kind": "answer", "text": answer}], fallback={"kind": "echo"})
            send(question)
            s.wait(lambda: s.find_all('[data-role="assistant"]'), what="the answer")
            # Regenerated once, so the answer shows its versions ("‹ 2/2 ›").
            h.fake.script(queue=[{"kind": "answer", "text": answer}], fallback={"kind": "echo"})
            s.find('[data-role="assistant"] [data-testid="message-regenerate"]').click()
            s.wait(lambda: s.find_all('[data-role="assistant"] [data-testid="version-label"]'), what="version 2")
            s.execute("document.querySelector('[data-testid=message-list]').scrollTop = 0")
            s.tid("composer-input").click()
            shot(f"light-{language}")
            settle("dark", language)
            s.tid("composer-input").click()
            shot(f"dark-{language}")
        settle("system", "system")
        print(f"screenshots written to {DOCS}")
    finally:
        h.close()


if __name__ == "__main__":
    sys.exit(main())
