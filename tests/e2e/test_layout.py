"""End-to-end: the layout holds from a small window to a very large screen, and at 200%
zoom. At each size nothing scrolls sideways, the composer, its buttons, the search field
and the sidebar's buttons are wholly on screen, and an answer's text is at least 14 CSS
pixels. Zoom is the window's own (Ctrl+= / Ctrl+-, Tauri's zoom polyfill); a screen larger
than Xvfb's is stood for by zooming out to 40%, where the message column must keep its
readable width and stay centred. Screenshots in tests/e2e/out/layout-*.png. Run by
`make test`."""
import unittest

from harness import Harness
from webdriver import KEYS

ANSWER = ("A **long** answer, so a line has to wrap: " + "the quick brown fox jumps over the lazy dog; " * 8
          + "\n\n| Column | Another column | A third one |\n|---|---|---|\n| 1 | 2 | 3 |\n\n```python\nprint('hi')\n```\n")

ON_SCREEN = ["composer-input", "send-button", "attach-button", "model-picker", "search-input",
             "new-conversation", "settings-button", "sidebar-toggle"]

MEASURE = """
const vw = document.documentElement.clientWidth, vh = document.documentElement.clientHeight;
const off = [];
for (const id of arguments[0]) {
  const el = document.querySelector(`[data-testid="${id}"]`);
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.left < -1 || r.top < -1 || r.right > vw + 1 || r.bottom > vh + 1) off.push(id);
}
const text = [...document.querySelectorAll('[data-testid=message][data-role=assistant] .message-text p')].pop();
const column = document.querySelector('[data-testid=message-list] .column').getBoundingClientRect();
const list = document.querySelector('[data-testid=message-list]').getBoundingClientRect();
return {
  vw, vh, off,
  sideways: document.documentElement.scrollWidth > vw + 1 || document.body.scrollWidth > vw + 1,
  font: parseFloat(getComputedStyle(text).fontSize),
  column: column.width, left: column.left - list.left, right: list.right - column.right,
};
"""


class Layout(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.h = Harness("layout")
        cls.s = cls.h.start_app()
        cls.h.fake.script(queue=[{"kind": "answer", "text": ANSWER}])
        box = cls.s.tid("composer-input")
        box.click()
        box.send_keys("Explain something at length, please")
        box.send_keys(KEYS["enter"])
        cls.s.wait(lambda: cls.s.find_all('[data-testid="message"][data-role="assistant"]'), what="the answer")
        cls.width = cls.s.execute("return window.innerWidth")

    @classmethod
    def tearDownClass(cls):
        cls.h.close()

    def measure(self):
        return self.s.execute(MEASURE, ON_SCREEN)

    def check(self, name):
        m = self.measure()
        self.assertFalse(m["sideways"], f"{name}: the page scrolls sideways ({m})")
        self.assertEqual(m["off"], [], f"{name}: not wholly on screen ({m})")
        self.assertGreaterEqual(m["font"], 14, f"{name}: answer text too small ({m})")
        self.h.screenshot(f"layout-{name}")
        return m

    def zoom(self, key, times, until):
        box = self.s.tid("composer-input")
        for _ in range(times):
            box.send_keys(KEYS["ctrl"] + key + "\ue000")
        self.s.wait(lambda: until(self.s.execute("return window.innerWidth")), what=f"zoom with Ctrl+{key}")

    def test_1_at_200_percent_zoom(self):
        w = self.width
        self.zoom("=", 5, lambda iw: iw <= w / 2 + 2)
        try:
            m = self.check("zoom-200")
            self.assertLessEqual(m["vw"], w / 2 + 2)
        finally:
            self.zoom("-", 5, lambda iw: iw >= w - 2)

    def test_2_in_an_800_by_600_window(self):
        self.s.set_window_size(800, 600)
        self.s.wait(lambda: self.s.execute("return window.innerWidth") <= 800, what="the window at 800x600")
        self.check("800x600")

    def test_3_on_a_very_large_screen(self):
        self.s.set_window_size(1600, 900)
        self.s.wait(lambda: self.s.execute("return window.innerWidth") > 1200, what="the window at 1600x900")
        w = self.s.execute("return window.innerWidth")
        # 40%: the page is laid out as on a 4000 px wide screen.
        self.zoom("-", 3, lambda iw: iw >= w * 2.4)
        try:
            m = self.check("large")
            self.assertGreaterEqual(m["vw"], 3800)
            self.assertLessEqual(m["column"], 820, "lines keep a readable length")
            self.assertLess(abs(m["left"] - m["right"]), 40, f"the messages stay centred ({m})")
        finally:
            self.zoom("=", 3, lambda iw: iw <= w + 2)


if __name__ == "__main__":
    unittest.main()
