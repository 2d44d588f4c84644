"""End-to-end: the small desktop manners around a conversation. Copy on a message puts
its Markdown on the real X clipboard (read back with xclip); a table keeps its column
alignment; Ctrl+/ and the sidebar button open the keyboard shortcuts; About shows the
version and the folders; the window opens again at the size and place it was left; the
picture a follow-up sends again is shown, and can be left out; a second start on the
same data folder brings the first forward and exits. Run by `make test`."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import tomllib
import unittest

import desktop
from harness import APP, ROOT, Harness
from images import png
from webdriver import KEYS

ANSWER = "## Steps\n\n1. Mix **flour** and water.\n2. Wait `12 h`.\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n"
CODE = "// Proof the dough\nfn main() {\n    let hours: u32 = 12;\n    println!(\"rise for {hours} h\");\n}"
FORMULA_ANSWER = "Euler: $e^{i\\pi} + 1 = 0$, and the mean:\n\n$$\\bar{x} = \\frac{1}{n}\\sum_{i=1}^{n} x_i$$\n"
CODE_ANSWER = f"Like this:\n\n```rust\n{CODE}\n```\n\nand plain:\n\n```\nmix; wait\n```\n"


def read_json(path):
    with open(path) as f:
        return json.load(f)


def clipboard_text():
    return subprocess.run(["xclip", "-selection", "clipboard", "-o"], capture_output=True, text=True,
                          timeout=10).stdout


class Help(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.h = Harness("help")
        cls.s = cls.h.start_app()
        cls.fake = cls.h.fake

    @classmethod
    def tearDownClass(cls):
        cls.h.close()

    def setUp(self):
        self.s.execute("document.querySelectorAll('dialog[open]').forEach((d) => d.close())")

    def messages(self, role):
        return self.s.find_all(f'[data-testid="message"][data-role="{role}"]')

    def hover_copy(self, message):
        """The actions show on hover; a click goes to the (transparent) button all the same."""
        button = message.find('[data-testid="message-copy"]')
        self.assertEqual(button.attr("aria-label"), "Copy (Markdown)")
        return button

    def test_1_copy_puts_the_markdown_of_a_message_on_the_clipboard(self):
        self.fake.script(queue=[{"kind": "answer", "text": ANSWER}])
        box = self.s.tid("composer-input")
        box.click()
        box.send_keys("How do I make a sourdough starter?")
        box.send_keys(KEYS["enter"])
        self.s.wait(lambda: len(self.messages("assistant")) == 1, what="the answer")
        # The table keeps its columns' alignment (classes: the CSP blocks inline styles).
        aligns = self.s.execute(
            "const cells = document.querySelectorAll('[data-testid=message][data-role=assistant] td');"
            "return [...cells].map((c) => [c.className, getComputedStyle(c).textAlign])")
        self.assertEqual(aligns, [["align-left", "left"], ["align-right", "right"]])

        # Something else on the clipboard first, so the test sees the app replace it.
        subprocess.run(["xclip", "-selection", "clipboard", "-i"], input=b"before", check=True, timeout=10)
        self.hover_copy(self.messages("assistant")[0]).click()
        self.s.wait(lambda: clipboard_text() == ANSWER, timeout=10, what="the answer's Markdown on the clipboard")
        done = self.messages("assistant")[0].find('[data-testid="message-copy"]')
        self.assertIn("done", done.attr("class"))
        self.assertEqual(done.attr("aria-label"), "Copied")
        self.h.screenshot("message-copied")

        self.hover_copy(self.messages("user")[0]).click()
        self.s.wait(lambda: clipboard_text() == "How do I make a sourdough starter?", timeout=10,
                    what="the question on the clipboard")
        # The copy outlives the click: the app keeps serving it.
        time.sleep(1)
        self.assertEqual(clipboard_text(), "How do I make a sourdough starter?")

    def test_1b_a_code_block_names_its_language_and_copies_its_code(self):
        self.fake.script(queue=[{"kind": "answer", "text": CODE_ANSWER}])
        box = self.s.tid("composer-input")
        box.click()
        box.send_keys("Show me the code")
        box.send_keys(KEYS["enter"])
        self.s.wait(lambda: len(self.messages("assistant")) == 2, what="the second answer")
        answer = self.messages("assistant")[1]
        self.assertEqual([e.text for e in answer.find_all('[data-testid="code-language"]')], ["rust", "text"])
        # The Rust is highlighted (classes from crates/core/src/highlight.rs, colours from the
        # stylesheet), in both schemes; the block without a language is not.
        tokens = (
            "const a = document.querySelectorAll('[data-testid=message][data-role=assistant]')[1];"
            "const [rust, plain] = a.querySelectorAll('pre code');"
            "const fn = rust.querySelector('span.hl-keyword');"
            "return { spans: rust.querySelectorAll('span[class^=\"hl-\"]').length, fn: fn.textContent,"
            "  fnColour: getComputedStyle(fn).color, textColour: getComputedStyle(rust).color,"
            "  plainSpans: plain.querySelectorAll('span').length };")
        scheme = self.s.execute("return document.documentElement.dataset.scheme")
        seen = {}
        try:
            for name in ("light", "dark"):
                self.s.execute("document.documentElement.dataset.scheme = arguments[0]", name)
                seen[name] = self.s.execute(tokens)
                self.h.screenshot(f"code-block-{name}")
        finally:
            self.s.execute("document.documentElement.dataset.scheme = arguments[0]", scheme)
        for name, seen_in in seen.items():
            self.assertGreater(seen_in["spans"], 5, name)
            self.assertEqual(seen_in["fn"].strip(), "fn", name)
            self.assertNotEqual(seen_in["fnColour"], seen_in["textColour"], (name, seen_in))
            self.assertEqual(seen_in["plainSpans"], 0, name)
        self.assertNotEqual(seen["light"]["fnColour"], seen["dark"]["fnColour"], seen)
        answer.find_all('[data-testid="code-copy"]')[0].click()
        self.s.wait(lambda: clipboard_text() == CODE + "\n", timeout=10, what="the code on the clipboard")
        self.assertEqual(answer.find_all('[data-testid="code-copy"]')[0].text, "Copied")
        self.h.screenshot("code-block")

    def test_1c_a_formula_is_typeset(self):
        self.fake.script(queue=[{"kind": "answer", "text": FORMULA_ANSWER}])
        box = self.s.tid("composer-input")
        box.click()
        box.send_keys("What is the mean?")
        box.send_keys(KEYS["enter"])
        self.s.wait(lambda: len(self.messages("assistant")) == 3, what="the third answer")
        shapes = self.s.execute(
            "const a = [...document.querySelectorAll('[data-testid=message][data-role=assistant]')].pop();"
            "const box = (el) => { const r = el.getBoundingClientRect(); return [Math.round(r.width), Math.round(r.height)]; };"
            "const inline = a.querySelector('math:not([display=block])'), block = a.querySelector('math[display=block]');"
            "return { inline: box(inline), block: box(block), frac: box(block.querySelector('mfrac')),"
            "  sum: !!block.querySelector('munderover'),"
            "  blockDisplay: getComputedStyle(block).display };")
        self.h.screenshot("formula")
        # Laid out as mathematics: a stacked fraction, taller than the inline formula's
        # line; the display formula a block of its own.
        self.assertGreater(shapes["frac"][1], 1.4 * shapes["inline"][1], shapes)
        self.assertEqual(shapes["blockDisplay"], "block")
        self.assertTrue(shapes["sum"], "the sum has its limits above and below")
        self.assertGreater(shapes["inline"][0], 40)
        # The TeX source is not shown (it is kept in an annotation), nor any dollar sign.
        shown = self.s.execute(
            "return [...document.querySelectorAll('[data-testid=message][data-role=assistant]')].pop()"
            ".querySelector('.message-text').innerText")
        self.assertNotIn("\\frac", shown)
        self.assertNotIn("$", shown)

    def test_2_ctrl_slash_lists_the_shortcuts(self):
        self.s.tid("composer-input").send_keys(KEYS["ctrl"] + "/" + "\ue000")
        dialog = self.s.tid("shortcuts-dialog")
        self.s.wait(lambda: dialog.displayed(), what="the shortcuts dialog")
        rows = self.s.execute(
            "return [...document.querySelectorAll('[data-testid=shortcut]')]"
            ".map((r) => [r.querySelector('th').textContent, [...r.querySelectorAll('kbd')].map((k) => k.textContent)])")
        table = {label: keys for label, keys in rows}
        self.assertEqual(table["New conversation"], ["Ctrl", "N"])
        self.assertEqual(table["Search conversations"], ["Ctrl", "K"])
        self.assertEqual(table["Send the question"], ["Enter"])
        self.assertEqual(table["New line in the question"], ["Shift", "Enter"])
        self.assertEqual(table["Stop waiting for the answer"], ["Esc"])
        self.assertEqual(table["Settings"], ["Ctrl", ","])
        self.assertEqual(table["This list"], ["Ctrl", "/"])
        self.assertEqual(table["Hide or show the sidebar"], ["Ctrl", "B"])
        self.assertEqual(self.s.execute("return document.activeElement.dataset.testid"), "shortcuts-close")
        self.h.screenshot("shortcuts")
        self.s.tid("shortcuts-close").send_keys(KEYS["escape"])
        self.s.wait(lambda: not dialog.displayed(), what="Esc to close the dialog")

        # The footer button opens the same list.
        self.s.tid("shortcuts-button").click()
        self.s.wait(lambda: dialog.displayed(), what="the shortcuts dialog from its button")
        self.assertEqual(self.s.tid("shortcuts-button").attr("aria-label"), "Keyboard shortcuts")
        self.s.tid("shortcuts-close").click()
        self.s.wait(lambda: not dialog.displayed(), what="Close to close the dialog")

    def test_3_about_shows_the_version_and_the_folders(self):
        with open(os.path.join(ROOT, "src-tauri", "Cargo.toml"), "rb") as f:
            manifest = tomllib.load(f)
        version = manifest["package"].get("version")
        if not isinstance(version, str):  # version.workspace = true
            with open(os.path.join(ROOT, "Cargo.toml"), "rb") as f:
                version = tomllib.load(f)["workspace"]["package"]["version"]
        self.s.tid("about-button").click()
        dialog = self.s.tid("about-dialog")
        self.s.wait(lambda: dialog.displayed(), what="the About dialog")
        self.assertEqual(self.s.tid("about-version").text, version)
        self.assertTrue(re.fullmatch(r"\d+\.\d+\.\d+.*", version))
        self.assertEqual(self.s.tid("about-data-dir").text, self.h.data_dir)
        self.assertEqual(self.s.tid("about-logs-dir").text, os.path.join(self.h.data_dir, "logs"))
        self.h.screenshot("about")
        self.s.tid("about-close").click()
        self.s.wait(lambda: not dialog.displayed(), what="the About dialog to close")

    def test_3b_the_sidebar_folds_away_and_stays_so(self):
        toggle = self.s.tid("sidebar-toggle")
        sidebar_width = "return document.querySelector('[data-testid=sidebar]').getBoundingClientRect().width"
        self.assertEqual(toggle.attr("aria-expanded"), "true")
        self.assertGreater(self.s.execute(sidebar_width), 200)
        toggle.click()
        self.s.wait(lambda: self.s.execute(sidebar_width) == 0, what="the sidebar to fold")
        self.assertEqual(toggle.attr("aria-expanded"), "false")
        self.assertEqual(toggle.attr("aria-label"), "Show the sidebar")
        self.assertTrue(self.s.execute("return document.querySelector('[data-testid=sidebar]').inert"))
        self.h.screenshot("sidebar-collapsed")
        # Kept for the next start.
        type(self).s = self.s = self.h.restart_app()
        self.s.wait(lambda: self.s.execute(sidebar_width) == 0, what="the sidebar folded after a restart")
        # Ctrl+B brings it back.
        self.s.tid("composer-input").send_keys(KEYS["ctrl"] + "b" + "\ue000")
        self.s.wait(lambda: self.s.execute(sidebar_width) > 200, what="Ctrl+B to show the sidebar")
        self.assertEqual(self.s.tid("sidebar-toggle").attr("aria-expanded"), "true")

    def test_4_the_window_opens_where_it_was_left(self):
        win = desktop.app_window()
        desktop.xdotool("windowsize", win, "930", "610")
        desktop.xdotool("windowmove", win, "40", "30")
        self.s.wait(lambda: self.s.execute("return [innerWidth, innerHeight]") == [930, 610],
                    what="the page to see the new size")
        saved = os.path.join(self.h.data_dir, "window.json")
        self.s.wait(lambda: os.path.exists(saved) and read_json(saved)["width"] == 930, timeout=10,
                    what="window.json to hold the new size")
        place = read_json(saved)
        self.assertEqual((place["width"], place["height"], place["maximized"]), (930, 610, False))

        type(self).s = self.s = self.h.restart_app()
        self.assertEqual(self.s.execute("return [innerWidth, innerHeight]"), [930, 610])
        x, y = desktop.xdotool("getwindowgeometry", "--shell", desktop.app_window()).split("\n")[1:3]
        self.assertEqual((x, y), (f"X={place['x']:.0f}", f"Y={place['y']:.0f}"))
        self.h.screenshot("window-restored")

        # A damaged file is moved aside, and the window opens at its default size.
        self.h.session.quit()
        with open(saved, "w") as f:
            f.write('{"width": 93')
        time.sleep(1)
        type(self).s = self.s = self.h.start_app()
        self.assertEqual(self.s.execute("return [innerWidth, innerHeight]"), [1100, 760])
        self.assertTrue([n for n in os.listdir(self.h.data_dir) if n.startswith("window.json.corrupt-")])

    def test_5_the_picture_a_follow_up_sends_again_is_shown_and_can_be_left_out(self):
        def ask(text):
            self.fake.clear()
            before = len(self.messages("assistant"))
            box = self.s.tid("composer-input")
            box.click()
            box.send_keys(text)
            box.send_keys(KEYS["enter"])
            self.s.wait(lambda: len(self.messages("assistant")) == before + 1, what=f"the answer to {text!r}")
            reqs = self.fake.requests()
            self.assertEqual(len(reqs), 1)
            return next((p for p in reqs[0]["parts"] if p["name"] == "file"), None)

        chip = lambda: self.s.tid("context-image-chip")  # noqa: E731
        self.s.tid("new-conversation").click()
        self.assertFalse(chip().displayed(), "a new conversation has no picture yet")
        desktop.set_clipboard(png(64, 48, (200, 60, 40)), "image/png")
        self.s.tid("composer-input").click()
        self.s.tid("composer-input").send_keys(KEYS["ctrl"] + "v" + "\ue000")
        self.s.wait(lambda: self.s.tid("attachment-chip").displayed(), timeout=20, what="the pasted picture")
        self.assertIsNotNone(ask("What colour is this?"), "the question's own picture goes")

        # The follow-up shows the picture it will send again, and sends it.
        self.s.wait(lambda: chip().displayed(), what="the context picture chip")
        self.assertEqual(self.s.tid("context-image-name").prop("textContent"), "Pasted image.png")
        self.assertEqual(chip().find(".attachment-size").prop("textContent"), "Sent again with your question")
        self.h.screenshot("context-image")
        self.assertIsNotNone(ask("And is it warm?"), "the follow-up sends the picture again")

        # Taken out: the next questions go without it.
        self.s.tid("context-image-remove").click()
        self.assertFalse(chip().displayed())
        self.assertIsNone(ask("Any other thoughts?"), "no picture after it was taken out")
        self.assertFalse(chip().displayed(), "it stays out")

        # Re-sending turned off in the settings: no chip, no picture, in any conversation.
        if self.s.tid("sidebar-toggle").attr("aria-expanded") == "false":
            self.s.tid("sidebar-toggle").click()  # the settings button is in the sidebar
        self.s.tid("settings-button").click()
        self.s.wait(lambda: self.s.tid("settings-dialog").displayed(), what="the settings dialog")
        box = self.s.tid("settings-resend-image")
        self.assertTrue(box.prop("checked"))
        box.click()
        self.s.tid("settings-save").click()
        self.s.wait(lambda: not self.s.tid("settings-dialog").displayed(), what="the settings to close")
        self.assertFalse(read_json(os.path.join(self.h.data_dir, "settings.json"))["resendImage"])
        type(self).s = self.s = self.h.restart_app()
        self.s.wait(lambda: len(self.messages("user")) == 3, what="the conversation after the restart")
        self.assertFalse(chip().displayed())
        self.assertIsNone(ask("One more?"), "re-sending is off")

    def test_6_a_second_start_brings_the_first_forward_and_exits(self):
        env = dict(os.environ, DYNASPARK_DATA_DIR=self.h.data_dir, DYNASPARK_ENDPOINT=self.fake.endpoint)
        started = time.time()
        second = subprocess.run([APP], env=env, capture_output=True, timeout=60)
        self.assertEqual(second.returncode, 0, second.stderr[-2000:])
        self.assertLess(time.time() - started, 20)
        windows = desktop.xdotool("search", "--onlyvisible", "--name", "Dynaspark Desktop", check=False).split()
        self.assertEqual(len(windows), 1, "no second window")
        logs = os.path.join(self.h.data_dir, "logs")

        def logged(text):
            for name in os.listdir(logs):
                with open(os.path.join(logs, name), encoding="utf-8") as f:
                    if text in f.read():
                        return True
            return False
        self.s.wait(lambda: logged("another start handed over"), timeout=10, what="the running app to hear it")
        self.assertTrue(logged("already running on this data folder"))
        # The running app is untouched and answers.
        self.assertEqual(self.s.execute("return document.body.dataset.ready"), "true")

        # Another data folder is another app: it starts beside this one.
        other = tempfile.mkdtemp(prefix="dynaspark-e2e-other-")
        proc = subprocess.Popen([APP], env=dict(env, DYNASPARK_DATA_DIR=other),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self.s.wait(lambda: len(desktop.xdotool("search", "--onlyvisible", "--name", "Dynaspark Desktop",
                                                    check=False).split()) == 2, timeout=30,
                        what="a second window for another data folder")
            self.assertIsNone(proc.poll())
        finally:
            proc.kill()
            proc.wait(10)
            shutil.rmtree(other, ignore_errors=True)

    def test_7_instructions_go_first_with_every_question(self):
        self.s.tid("new-conversation").click()
        box = self.s.tid("composer-input")
        box.click()
        box.send_keys("Is it raining?")
        box.send_keys(KEYS["enter"])
        self.s.wait(lambda: len(self.messages("assistant")) == 1, what="the first answer")
        self.s.tid("conversation-instructions").click()
        dialog = self.s.tid("instructions-dialog")
        self.s.wait(lambda: dialog.displayed(), what="the instructions dialog")
        self.assertEqual(self.s.tid("instructions-input").prop("value"), "")
        self.s.tid("instructions-input").send_keys("Answer in French.")
        self.assertEqual(self.s.tid("instructions-count").prop("textContent"), "17 / 4000")
        self.h.screenshot("instructions-dialog")
        self.s.tid("instructions-save").click()
        self.s.wait(lambda: not dialog.displayed(), what="the dialog to close")
        note = self.s.wait(lambda: (self.s.find_all('[data-testid="message"][data-role="system"]') or [None])[0],
                           what="the instructions in the conversation")
        self.assertEqual(note.find('[data-testid="message-text"]').prop("textContent"), "Answer in French.")

        self.fake.clear()
        box.click()
        box.send_keys("And tomorrow?")
        box.send_keys(KEYS["enter"])
        self.s.wait(lambda: len(self.messages("assistant")) == 2, what="the second answer")
        prompt = next(p for p in self.fake.requests()[0]["parts"] if p["name"] == "user_input")["text"]
        self.assertTrue(prompt.startswith("System: Answer in French.\nUser: Is it raining?\n"), prompt)
        self.assertTrue(prompt.endswith("User: And tomorrow?\nAssistant:"), prompt)
        self.h.screenshot("instructions")

        # Removed: the note goes, and the next question goes without them.
        self.s.tid("conversation-instructions").click()
        self.s.wait(lambda: dialog.displayed(), what="the instructions dialog again")
        self.assertEqual(self.s.tid("instructions-input").prop("value"), "Answer in French.")
        self.s.tid("instructions-remove").click()
        self.s.wait(lambda: not dialog.displayed(), what="the dialog to close again")
        self.s.wait(lambda: not self.s.find_all('[data-testid="message"][data-role="system"]'),
                    what="the note to go")
        self.fake.clear()
        box.click()
        box.send_keys("Still raining?")
        box.send_keys(KEYS["enter"])
        self.s.wait(lambda: len(self.messages("assistant")) == 3, what="the third answer")
        prompt = next(p for p in self.fake.requests()[0]["parts"] if p["name"] == "user_input")["text"]
        # (The echo answers quote earlier prompts, so only the start tells.)
        self.assertTrue(prompt.startswith("User: Is it raining?\n"), prompt)


if __name__ == "__main__":
    unittest.main()
