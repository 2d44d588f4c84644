"""End-to-end tests: the real binary in a real window (under Xvfb), driven through
tauri-driver, talking to the fake Dynaspark server. Run by `make test`.
The tests share one data directory and run in order: later ones build on earlier ones."""
import base64
import hashlib
import json
import os
import re
import shutil
import stat
import struct
import subprocess
import tempfile
import time
import unittest

from desktop import choose_file_in_dialog, drag_files_onto_app, set_clipboard
from harness import FAKE, Harness
from images import png
from webdriver import KEYS

ECHO = {"kind": "echo"}


class DynasparkDesktop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # A stand-in for xdg-open, first on the app's PATH: it records what the app asked
        # the system to open (the logs folder), instead of starting a file manager.
        cls.bin = tempfile.mkdtemp(prefix="dynaspark-e2e-bin-")
        cls.opened = os.path.join(cls.bin, "opened.txt")
        opener = os.path.join(cls.bin, "xdg-open")
        with open(opener, "w") as f:
            f.write(f'#!/bin/sh\nprintf "%s\\n" "$@" >> "{cls.opened}"\n')
        os.chmod(opener, os.stat(opener).st_mode | stat.S_IEXEC)
        cls.h = Harness("app", env={"PATH": cls.bin + os.pathsep + os.environ.get("PATH", "")})
        cls.fake = cls.h.fake
        cls.s = cls.h.start_app()
        cls.red = os.path.join(cls.h.files, "red square.png")
        with open(cls.red, "wb") as f:
            f.write(png(48, 48, (220, 30, 40)))
        with open(cls.red, "rb") as f:
            cls.red_bytes = f.read()
        cls.blue = os.path.join(cls.h.files, "blue.png")
        with open(cls.blue, "wb") as f:
            f.write(png(40, 30, (30, 60, 220)))
        cls.fake_png = os.path.join(cls.h.files, "notes.png")
        with open(cls.fake_png, "w") as f:
            f.write("these are notes, not a picture\n")

    @classmethod
    def tearDownClass(cls):
        cls.h.close()
        if getattr(cls, "proxy_proc", None):
            cls.proxy_proc.terminate()
            cls.proxy_proc.wait(10)
            cls.proxy_proc.stdout.close()
        shutil.rmtree(cls.bin, ignore_errors=True)

    def setUp(self):
        # A test that failed with a dialog open must not make the next one fail too.
        self.s.execute("document.querySelectorAll('dialog[open]').forEach((d) => d.close())")

    # helpers -------------------------------------------------------------------

    def messages(self, role=None):
        sel = '[data-testid="message"]' + (f'[data-role="{role}"]' if role else "")
        return self.s.find_all(sel)

    def wait_messages(self, role, count, timeout=30):
        return self.s.wait(lambda: len(self.messages(role)) >= count and self.messages(role),
                           timeout=timeout, what=f"{count} {role} message(s)")

    def type_and_send(self, text):
        box = self.s.tid("composer-input")
        box.click()
        box.send_keys(text)
        box.send_keys(KEYS["enter"])

    def last_request(self):
        reqs = self.fake.requests()
        self.assertTrue(reqs, "the fake server received nothing")
        return reqs[-1]

    def part(self, req, name):
        return next((p for p in req["parts"] if p["name"] == name), None)

    def composer_error(self):
        el = self.s.tid("composer-error")
        return el.text if el.displayed() else ""

    # tests ---------------------------------------------------------------------

    def test_01_ask_about_a_picture_chosen_in_the_file_dialog(self):
        self.s.wait(lambda: self.s.tid("welcome").displayed(), what="the welcome screen")
        self.h.screenshot("welcome")
        self.s.tid("attach-button").click()
        choose_file_in_dialog(self.red)
        chip = self.s.wait(lambda: self.s.tid("attachment-chip").displayed() and self.s.tid("attachment-chip"),
                           timeout=20, what="the attachment chip")
        self.assertEqual(chip.find(".attachment-name").prop("textContent"), "red square.png")
        self.assertTrue(self.s.execute(
            "const i = document.querySelector('[data-testid=attachment-thumb]'); return i.complete && i.naturalWidth === 48"))

        self.type_and_send("What is in this picture?")
        self.wait_messages("user", 1)
        self.assertFalse(self.s.tid("attachment-chip").displayed(), "the composer is cleared after sending")
        answer = self.wait_messages("assistant", 1)[0]
        user = self.messages("user")[0]
        self.assertEqual(user.find('[data-testid="message-text"]').text, "What is in this picture?")
        self.assertEqual(len(user.find_all('[data-testid="message-image"]')), 1)
        self.assertIn("Echo from the fake Dynaspark", answer.text)
        self.assertEqual(len(answer.find_all("h3")), 1, "the answer is rendered from Markdown")

        req = self.last_request()
        self.assertEqual([p["name"] for p in req["parts"]], ["user_input", "ai_model", "file"])
        self.assertEqual(self.part(req, "user_input")["text"], "What is in this picture?")
        self.assertEqual(self.part(req, "ai_model")["text"], "gemini-1.5-flash")
        f = self.part(req, "file")
        self.assertEqual(f["content_type"], "image/png")
        self.assertEqual(f["file_name"], "red%20square.png")
        self.assertEqual(f["sha256"], hashlib.sha256(self.red_bytes).hexdigest())
        headers = dict(req["headers"])
        self.assertEqual(headers["origin"], self.fake.base)
        self.assertEqual(headers["referer"], self.fake.base + "/")
        self.assertEqual(headers["x-requested-with"], "XMLHttpRequest")
        items = self.s.tids("conversation-item")
        self.assertEqual(len(items), 1)
        self.assertEqual(items[0].find('[data-testid="conversation-title-text"]').prop("textContent"),
                         "What is in this picture?")

    def test_02_follow_up_sends_the_flattened_history(self):
        self.fake.clear()
        box = self.s.tid("composer-input")
        box.click()
        # Shift+Enter makes a new line; Enter sends.
        box.send_keys("And what colour")
        box.send_keys(KEYS["shift"] + KEYS["enter"])  # modifiers are released at the end of each call
        box.send_keys("is it?")
        box.send_keys(KEYS["enter"])
        self.wait_messages("assistant", 2)
        req = self.last_request()
        prompt = self.part(req, "user_input")["text"]
        self.assertTrue(prompt.startswith("User: What is in this picture?\nAssistant: ### Echo from the fake Dynaspark"), prompt)
        self.assertTrue(prompt.endswith("\nUser: And what colour\nis it?\nAssistant:"), prompt)
        self.assertIsNotNone(self.part(req, "file"), "the conversation's picture goes with the follow-up")
        self.h.screenshot("conversation")

    def test_03_restart_finds_the_conversation_with_its_image(self):
        os.remove(self.red)  # the app keeps its own copy
        self.s = self.__class__.s = self.h.restart_app()
        items = self.s.wait(lambda: self.s.tids("conversation-item"), what="saved conversations")
        self.assertEqual(len(items), 1)
        items[0].click()
        self.wait_messages("assistant", 2)
        self.assertEqual(len(self.messages("user")), 2)
        self.s.wait(lambda: self.s.execute(
            "const i = document.querySelector('[data-testid=message-image]'); return !!i && i.complete && i.naturalWidth === 48"),
            what="the saved image to load")

    def test_04_a_sleeping_server_is_retried_with_progress_and_errors_keep_retry(self):
        self.s.tid("new-conversation").click()
        # A 503 asking for 3 s, an HTML 502 (the free server waking), then the answer: the
        # client retries by itself and the pending bubble counts down.
        self.fake.clear()
        self.fake.script(queue=[{"kind": "unavailable_retry_after", "retry_after": "3"}, {"kind": "bad_gateway_html"}],
                         fallback=ECHO)
        self.type_and_send("Is the server awake?")
        said = self.s.wait(lambda: [p.text for p in self.s.tids("pending-elapsed") if "Trying again" in p.text],
                           timeout=20, what="the retry countdown")[0]
        self.assertIn("The server is not answering yet", said)
        self.h.screenshot("retrying")
        answer = self.wait_messages("assistant", 1, timeout=60)[0]
        self.assertIn("Is the server awake?", answer.text)
        self.assertEqual(len(self.fake.requests()), 3, "two retries, then the answer")
        self.assertEqual(len(self.messages("error")), 0)
        # A failure that will not change is not retried: shown at once, with Retry.
        self.fake.clear()
        self.fake.script(queue=[{"kind": "invalid_json"}], fallback=ECHO)
        self.type_and_send("And now?")
        err = self.wait_messages("error", 1)[0]
        self.assertEqual(err.attr("data-code"), "unexpected_response")
        self.assertNotIn("<", err.find('[data-testid="message-text"]').text, "raw bodies are never shown")
        self.assertEqual(len(self.fake.requests()), 1, "not retried")
        self.h.screenshot("error")
        err.find('[data-testid="retry-button"]').click()
        self.s.wait(lambda: len(self.messages("assistant")) == 2, what="the second answer")
        self.assertEqual(len(self.messages("user")), 2, "the question is kept once, not duplicated")
        self.assertEqual(len(self.messages("error")), 0)

    def test_05_pending_answer_shows_time_and_can_be_cancelled(self):
        self.s.tid("new-conversation").click()
        self.fake.script(queue=[{"kind": "delay", "ms": 30000, "then": ECHO}], fallback=ECHO)
        self.type_and_send("A slow question")
        pending = self.s.wait(lambda: self.s.tids("pending"), what="the pending answer")[0]
        self.assertIn("Waiting for Dynaspark", pending.text)
        self.s.wait(lambda: self.s.tid("pending-waking").displayed(), timeout=15, what="the waking-up hint")
        self.assertFalse(self.s.tid("send-button").prop("disabled") is False)
        self.h.screenshot("pending")
        self.s.tid("cancel-button").click()
        err = self.wait_messages("error", 1, timeout=10)[0]
        self.assertEqual(err.attr("data-code"), "cancelled")
        self.assertEqual(self.messages("user")[0].find('[data-testid="message-text"]').text, "A slow question")
        # Retry, then cancel again with the Esc shortcut.
        self.fake.script(queue=[{"kind": "delay", "ms": 30000, "then": ECHO}], fallback=ECHO)
        err.find('[data-testid="retry-button"]').click()
        self.s.wait(lambda: self.s.tids("pending"), what="the pending answer again")
        self.s.tid("composer-input").send_keys(KEYS["escape"])
        err = self.wait_messages("error", 1, timeout=10)[0]
        self.assertEqual(err.attr("data-code"), "cancelled")
        err.find('[data-testid="retry-button"]').click()
        self.wait_messages("assistant", 1)

    def test_06_a_non_image_is_refused_before_anything_is_sent(self):
        self.fake.clear()
        self.s.tid("attach-button").click()
        choose_file_in_dialog(self.fake_png)
        msg = self.s.wait(self.composer_error, timeout=20, what="the refusal")
        self.assertIn("notes.png is not a supported image", msg)
        self.assertIn("JPEG, PNG, GIF or WebP", msg)
        self.assertFalse(self.s.tid("attachment-chip").displayed())
        self.assertEqual(self.fake.requests(), [])

    def test_07_drag_and_drop_attaches_the_first_image(self):
        self.s.tid("new-conversation").click()
        drag_files_onto_app([self.blue])
        chip = self.s.wait(lambda: self.s.tid("attachment-chip").displayed() and self.s.tid("attachment-chip"),
                           timeout=20, what="the dropped image")
        self.assertEqual(chip.find(".attachment-name").prop("textContent"), "blue.png")
        self.s.tid("attachment-remove").click()
        self.assertFalse(self.s.tid("attachment-chip").displayed())
        drag_files_onto_app([self.blue, self.fake_png])
        self.s.wait(lambda: self.s.tid("attachment-chip").displayed(), timeout=20, what="the first dropped image")
        self.assertIn("Only the first image was attached", self.composer_error())
        self.fake.clear()
        self.type_and_send("Which colour?")
        self.wait_messages("assistant", 1)
        f = self.part(self.last_request(), "file")
        self.assertEqual(f["file_name"], "blue.png")
        drag_files_onto_app([self.fake_png])
        self.s.wait(lambda: "not a supported image" in self.composer_error(), timeout=20, what="the refusal")

    def test_08_answers_render_markdown_safely(self):
        md = ("## Result\n\n| shape | colour |\n|---|---|\n| square | red |\n\n```python\nprint('hi')\n```\n\n"
              "[docs](https://example.com/docs) <script>alert(1)</script> [bad](javascript:alert(1))")
        self.fake.script(queue=[{"kind": "answer", "text": md}], fallback=ECHO)
        self.s.tid("new-conversation").click()
        self.type_and_send("Show me a table")
        answer = self.wait_messages("assistant", 1)[0]
        body = answer.find('[data-testid="message-text"]')
        self.assertEqual(len(body.find_all("table td")), 2)
        self.assertEqual(len(body.find_all("pre code")), 1)
        links = body.find_all("a")
        self.assertEqual([a.attr("href") for a in links], ["https://example.com/docs", None])
        self.assertEqual(len(body.find_all("script")), 0)

    def test_09_settings_validate_save_and_apply_without_restart(self):
        self.s.tid("settings-button").click()
        self.s.wait(lambda: self.s.tid("settings-dialog").displayed(), what="the settings dialog")
        override = self.s.tid("settings-endpoint-override")
        self.assertIn(self.fake.endpoint, override.text)
        self.h.screenshot("settings")
        endpoint = self.s.tid("settings-endpoint")
        endpoint.clear()
        endpoint.send_keys("ftp://example.com/x")
        proxy = self.s.tid("settings-proxy")
        proxy.clear()
        proxy.send_keys("socks4://127.0.0.1:1080")
        self.s.tid("settings-save").click()
        self.s.wait(lambda: self.s.tid("settings-error-endpoint").text, what="the endpoint error")
        self.assertIn("http://", self.s.tid("settings-error-endpoint").text)
        self.assertIn("not supported", self.s.tid("settings-error-proxy").text)
        self.h.screenshot("settings-errors")
        endpoint.clear()
        endpoint.send_keys("http://127.0.0.1:9/generate_response")
        proxy.clear()
        self.s.tid("settings-model-custom").send_keys("gemini-2.5-flash")
        self.s.tid("settings-model-add").click()
        self.s.tid("settings-save").click()
        self.s.wait(lambda: not self.s.tid("settings-dialog").displayed(), what="the dialog to close")
        picker = self.s.tid("model-picker")
        self.assertEqual(picker.prop("value"), "gemini-2.5-flash")
        with open(os.path.join(self.h.data_dir, "settings.json")) as f:
            saved = json.load(f)
        self.assertEqual(saved["model"], "gemini-2.5-flash")
        self.assertIn("gemini-2.5-flash", saved["models"])
        # Applied without restart: the next question uses the new model.
        self.fake.clear()
        self.s.tid("new-conversation").click()
        self.type_and_send("Which model?")
        self.wait_messages("assistant", 1)
        self.assertEqual(self.part(self.last_request(), "ai_model")["text"], "gemini-2.5-flash")

    def test_10_proxy_secrets_stay_out_of_errors_and_logs(self):
        secret = "hunter2-secret-pw"
        self.s.tid("settings-button").click()
        self.s.wait(lambda: self.s.tid("settings-dialog").displayed(), what="the settings dialog")
        for testid, value in (("settings-proxy", "socks5://127.0.0.1:9"),
                              ("settings-proxy-username", "alice"),
                              ("settings-proxy-password", secret),
                              ("settings-retry-attempts", "1")):
            el = self.s.tid(testid)
            el.clear()
            el.send_keys(value)
        self.s.tid("settings-save").click()
        self.s.wait(lambda: not self.s.tid("settings-dialog").displayed(), what="the dialog to close")
        self.fake.clear()
        self.s.tid("new-conversation").click()
        self.type_and_send("Through the proxy?")
        err = self.wait_messages("error", 1)[0]
        self.assertEqual(err.attr("data-code"), "proxy")
        self.assertNotIn(secret, err.text)
        self.assertEqual(self.fake.requests(), [], "nothing bypassed the proxy")
        logs = os.path.join(self.h.data_dir, "logs")
        self.s.wait(lambda: os.listdir(logs), what="a log file")
        time.sleep(1.5)  # the log writer flushes in the background
        text = ""
        for name in os.listdir(logs):
            with open(os.path.join(logs, name), encoding="utf-8", errors="replace") as f:
                text += f.read()
        self.assertIn("question failed", text)
        self.assertNotIn(secret, text)
        # The error's Details name the question's request id; its log lines carry it.
        details = err.find('[data-testid="error-details"]').prop("textContent")
        request_id = re.search(r"Request id: ([0-9a-f]{8})", details)
        self.assertIsNotNone(request_id, details)
        lines = [l for l in text.splitlines() if request_id.group(1) in l]
        self.assertTrue(any("question failed" in l for l in lines), "\n".join(lines))
        err.find('[data-testid="error-details"] summary').click()
        self.h.screenshot("error-request-id")

    def open_settings(self):
        self.s.tid("settings-button").click()
        self.s.wait(lambda: self.s.tid("settings-dialog").displayed(), what="the settings dialog")

    def start_proxy(self, credentials):
        """An HTTP proxy demanding `credentials` ("user:password"), from the fake server's binary."""
        proc = subprocess.Popen([FAKE, "--port", "0", "--http-proxy", credentials],
                                stdout=subprocess.PIPE, stderr=self.h.log, text=True)
        self.__class__.proxy_proc = proc
        deadline = time.time() + 20
        while time.time() < deadline:
            line = proc.stdout.readline()
            found = re.search(r"HTTP proxy .* listening on (http://\S+)", line)
            if found:
                return found.group(1)
        raise AssertionError("the proxy did not start")

    def test_11_the_proxy_test_button_reports_a_refused_password(self):
        proxy = self.start_proxy("alice:right-pass")
        with open(os.path.join(self.h.data_dir, "settings.json"), "rb") as f:
            saved_before = f.read()
        self.open_settings()
        for testid, value in (("settings-proxy", proxy), ("settings-proxy-username", "alice")):
            el = self.s.tid(testid)
            el.clear()
            el.send_keys(value)
        # The password saved by test_10 is kept unless replaced: replace it, unsaved.
        if self.s.tid("settings-proxy-password-replace").displayed():
            self.s.tid("settings-proxy-password-replace").click()
        password = self.s.tid("settings-proxy-password")
        password.clear()
        password.send_keys("wrong-pass")
        self.s.tid("settings-proxy-test").click()
        result = self.s.tid("settings-proxy-test-result")
        said = self.s.wait(lambda: "Testing" not in result.text and result.text, timeout=30,
                           what="the test result")
        self.assertIn("refused the credentials", said)
        self.assertIn("was reached", said)
        self.assertNotIn("wrong-pass", said)
        self.s.execute("document.querySelector('[data-testid=settings-proxy-test-result]').scrollIntoView({block: 'center'})")
        self.h.screenshot("proxy-test-refused")
        password.clear()
        password.send_keys("right-pass")
        self.s.tid("settings-proxy-test").click()
        said = self.s.wait(lambda: "accepted them" in result.text and result.text, timeout=30,
                           what="the second test result")
        self.assertIn("Dynaspark answered through it", said)
        self.s.execute("document.querySelector('[data-testid=settings-proxy-test-result]').scrollIntoView({block: 'center'})")
        self.h.screenshot("proxy-test-accepted")
        # Testing saves nothing.
        self.s.tid("settings-cancel").click()
        self.s.wait(lambda: not self.s.tid("settings-dialog").displayed(), what="the dialog to close")
        with open(os.path.join(self.h.data_dir, "settings.json"), "rb") as f:
            self.assertEqual(f.read(), saved_before)

    def test_12_the_page_cannot_name_files_to_import_and_the_prototype_is_frozen(self):
        script = ("return window.__TAURI__.core.invoke('import_image_paths', {paths: [arguments[0]]})"
                  ".then(() => 'imported', (e) => e.code)")
        self.assertEqual(self.s.execute(script, self.blue), "not_dropped")
        self.assertTrue(self.s.execute("return Object.isFrozen(Object.prototype)"))
        # The page may listen to events (drag and drop) but nothing else of the core.
        refused = self.s.execute(
            "return window.__TAURI__.core.invoke('plugin:app|version').then(() => 'allowed', (e) => String(e))")
        self.assertIn("not allowed", refused)

    def test_13_open_logs_folder_opens_the_apps_own_logs_folder(self):
        self.open_settings()
        self.s.tid("open-logs-folder").click()
        logs = os.path.join(self.h.data_dir, "logs")
        def opened():
            if not os.path.exists(self.opened):
                return None
            with open(self.opened) as f:
                return f.read().splitlines()
        # A failure to open says so beside the button: waited for too, to be reported.
        result = self.s.tid("open-logs-folder-result")
        self.s.wait(lambda: opened() or result.text, timeout=20, what="the opener to be called")
        self.assertEqual(result.text, "")
        self.assertEqual(opened(), [logs])
        self.h.screenshot("settings-open-logs")
        self.s.tid("settings-cancel").click()

    def stored_png_size(self, sha256):
        """Width and height of the image the library holds (and sent) under `sha256`."""
        with open(os.path.join(self.h.data_dir, "images", f"{sha256}.png"), "rb") as f:
            head = f.read(24)
        return struct.unpack(">II", head[16:24])

    def paste_into_composer(self):
        box = self.s.tid("composer-input")
        box.click()
        box.send_keys(KEYS["ctrl"] + "v")

    def test_14_paste_an_image_a_copied_file_or_text(self):
        # Back to the defaults: earlier tests left a proxy that refuses everything.
        self.open_settings()
        self.s.tid("settings-reset").click()
        self.s.tid("settings-save").click()
        self.s.wait(lambda: not self.s.tid("settings-dialog").displayed(), what="the dialog to close")
        self.s.tid("new-conversation").click()
        # Pixels, as a screenshot tool or a browser's "Copy image" leaves them: larger than
        # the 2048 px default, so scaled down, and said so beside the size.
        set_clipboard(png(3000, 1000, (20, 160, 90)), "image/png")
        self.paste_into_composer()
        chip = self.s.wait(lambda: self.s.tid("attachment-chip").displayed() and self.s.tid("attachment-chip"),
                           timeout=20, what="the pasted image")
        self.assertEqual(chip.find(".attachment-name").prop("textContent"), "Pasted image.png")
        self.assertIn("scaled to 2048 × 683", self.s.tid("attachment-size").text)
        self.assertEqual(self.s.tid("composer-input").prop("value"), "", "no text was pasted with it")
        self.h.screenshot("paste-image")
        self.fake.clear()
        self.type_and_send("What did I paste?")
        self.wait_messages("assistant", 1)
        f = self.part(self.last_request(), "file")
        self.assertEqual((f["content_type"], f["file_name"]), ("image/png", "Pasted%20image.png"))
        self.assertEqual(self.stored_png_size(f["sha256"]), (2048, 683))

        # A file copied in a file manager: the file itself is attached, by its name.
        set_clipboard(f"file://{self.blue}\r\n".encode(), "text/uri-list")
        self.paste_into_composer()
        self.s.wait(lambda: self.s.tid("attachment-chip").displayed()
                    and self.s.tid("attachment-chip").find(".attachment-name").prop("textContent") == "blue.png",
                    timeout=20, what="the pasted file")
        self.s.tid("attachment-remove").click()

        # Text pastes as text, and attaches nothing.
        set_clipboard("pasted words".encode(), "UTF8_STRING")
        self.paste_into_composer()
        self.s.wait(lambda: self.s.tid("composer-input").prop("value") == "pasted words", what="the pasted text")
        self.assertFalse(self.s.tid("attachment-chip").displayed())
        self.s.execute("document.querySelector('[data-testid=composer-input]').value = ''")

    def test_15_image_limits_from_settings_apply_at_once(self):
        self.open_settings()
        self.assertEqual(self.s.tid("settings-image-max-side").prop("value"), "2048")
        self.assertEqual(self.s.tid("settings-image-max-mb").prop("value"), "4")
        self.assertFalse(self.s.tid("settings-image-keep-metadata").prop("checked"))
        side = self.s.tid("settings-image-max-side")
        side.clear()
        side.send_keys("100")
        self.s.tid("settings-save").click()
        self.s.wait(lambda: "256 to 8192" in self.s.tid("settings-error-imageMaxSide").text, what="the range message")
        self.s.execute("document.querySelector('[data-testid=settings-image-keep-metadata]').scrollIntoView({block: 'center'})")
        self.h.screenshot("settings-images")
        side.clear()
        side.send_keys("600")
        self.s.tid("settings-image-keep-metadata").click()
        self.s.tid("settings-save").click()
        self.s.wait(lambda: not self.s.tid("settings-dialog").displayed(), what="the dialog to close")
        with open(os.path.join(self.h.data_dir, "settings.json")) as f:
            saved = json.load(f)
        self.assertEqual((saved["imageMaxSide"], saved["imageKeepMetadata"]), (600, True))

        set_clipboard(png(3000, 1000, (20, 160, 90)), "image/png")
        self.paste_into_composer()
        self.s.wait(lambda: self.s.tid("attachment-chip").displayed()
                    and "scaled to 600 × 200" in self.s.tid("attachment-size").text,
                    timeout=20, what="the image scaled to the new limit")
        self.s.tid("attachment-remove").click()

        # A limit above the default: the image goes out as it was attached, not scaled
        # down again to the defaults when it is sent.
        self.open_settings()
        side = self.s.tid("settings-image-max-side")
        side.clear()
        side.send_keys("4000")
        self.s.tid("settings-save").click()
        self.s.wait(lambda: not self.s.tid("settings-dialog").displayed(), what="the dialog to close")
        self.s.tid("new-conversation").click()
        set_clipboard(png(3000, 1000, (20, 160, 90)), "image/png")
        self.paste_into_composer()
        self.s.wait(lambda: self.s.tid("attachment-chip").displayed(), timeout=20, what="the pasted image")
        self.assertNotIn("scaled", self.s.tid("attachment-size").text)
        self.fake.clear()
        self.type_and_send("Sent at full size?")
        self.wait_messages("assistant", 1)
        f = self.part(self.last_request(), "file")
        self.assertEqual(self.stored_png_size(f["sha256"]), (3000, 1000))


if __name__ == "__main__":
    unittest.main(verbosity=2)
