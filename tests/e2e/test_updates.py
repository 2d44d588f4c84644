"""End to end: updates. The app (a debug build, pointed at a local update server by
DYNASPARK_UPDATE_ENDPOINT and trusting a key made here by DYNASPARK_UPDATE_PUBKEY) finds
a newer version at start and shows it with its notes; nothing is downloaded without
consent; an artifact whose signature does not verify is refused in words; no server means
nothing shown; the setting off means no request at all. The debug binary is no package,
so no test installs anything: a valid signature ends in "cannot replace itself"."""
import glob
import hashlib
import json
import os
import re
import time
import unittest

from harness import APP, Harness, free_port
from update_server import Key, UpdateServer

NOTES = "Faster answers while the server wakes.\n<b>Not bold</b> & <script>alert(1)</script> stay text."
SIGNATURE_MESSAGE = "The update's signature does not match the app's key: it was not installed."
# Not an AppImage (nor ELF, nor gzip): even a build that tried to install it would refuse
# it before touching anything.
ARTIFACT = b"Dynaspark Desktop 9.9.9, not a real AppImage.\n" * 6000
ARTIFACT_NAME = "Dynaspark.Desktop_9.9.9_amd64.AppImage"


def app_hash():
    with open(APP, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def log_text(h):
    text = ""
    for path in sorted(glob.glob(os.path.join(h.data_dir, "logs", "*.log"))):
        with open(path, encoding="utf-8", errors="replace") as f:
            text += f.read()
    return text


class UpdateTest(unittest.TestCase):
    h = None
    s = None

    def check_status(self, timeout=60):
        """How the start-up check ended: skipped, upToDate, failed or available."""
        return self.s.wait(lambda: self.s.execute("return document.body.dataset.updateCheck || ''"),
                           timeout=timeout, what="the update check to end")

    def restart(self):
        self.s = type(self).s = self.h.restart_app()

    def ask(self, text):
        """The app still works: a question gets its answer from the fake Dynaspark."""
        self.s.tid("new-conversation").click()
        box = self.s.tid("composer-input")
        box.click()
        box.send_keys(text)
        self.s.tid("send-button").click()
        answers = self.s.wait(lambda: self.s.find_all('[data-testid="message"][data-role="assistant"]'),
                              what="an answer")
        self.assertIn(text, answers[-1].text)


class UpdateOffered(UpdateTest):
    @classmethod
    def setUpClass(cls):
        cls.key = Key()
        cls.server = UpdateServer()
        # Signed by the right key, but over other bytes than the ones served.
        cls.server.publish("9.9.9", NOTES, ARTIFACT, cls.key.sign(b"another file", ARTIFACT_NAME, "9.9.9"),
                           name=ARTIFACT_NAME)
        cls.h = Harness("updates", env={"DYNASPARK_UPDATE_ENDPOINT": cls.server.manifest_url,
                                        "DYNASPARK_UPDATE_PUBKEY": cls.key.pubkey})
        cls.s = cls.h.start_app()
        cls.app_hash = app_hash()

    @classmethod
    def tearDownClass(cls):
        cls.h.close()
        cls.server.stop()

    def install_and_wait_for_error(self):
        self.s.wait(lambda: self.s.tid("update-banner").displayed(), what="the update banner")
        if not self.s.tid("update-install").prop("disabled"):
            self.s.tid("update-install").click()
        error = self.s.wait(lambda: self.s.tid("update-error").displayed() and self.s.tid("update-error"),
                            timeout=60, what="the install's outcome")
        return error.text, error.attr("data-code")

    def see_progress(self):
        """Installs over a slow network: the card counts the percent downloaded."""
        self.server.chunk_delay = 0.4
        try:
            self.s.tid("update-install").click()
            progress = self.s.wait(lambda: self.s.tid("update-progress").displayed() and self.s.tid("update-progress"),
                                   what="the download's progress")
            self.s.wait(lambda: re.fullmatch(r"Downloading… ([1-9]\d?)%", progress.text), timeout=20,
                        what="a percentage between 1 and 99")
            self.assertTrue(self.s.tid("update-install").prop("disabled"), "one install at a time")
            self.assertTrue(self.s.tid("update-later").prop("disabled"))
            self.h.screenshot("update-downloading")
        finally:
            self.server.chunk_delay = 0.0

    def test_1_a_newer_version_is_offered_at_start_with_its_notes(self):
        self.assertEqual(self.check_status(), "available")
        banner = self.s.tid("update-banner")
        self.assertTrue(banner.displayed())
        self.assertEqual(self.s.tid("update-version").text, "Dynaspark Desktop 9.9.9 is available")
        self.assertRegex(self.s.tid("update-current").text, r"^You have \d+\.\d+\.\d+\.$")
        notes = self.s.tid("update-notes")
        self.assertEqual(notes.prop("textContent"), NOTES.strip())
        self.assertEqual(banner.find_all("b") + banner.find_all("script"), [], "the notes are text, not markup")
        self.assertEqual(self.s.tid("update-install").text, "Install and restart")
        self.assertEqual(self.s.tid("update-later").text, "Later")
        self.assertFalse(self.s.tid("update-error").displayed())
        self.assertEqual(self.s.tids("toast"), [], "a check shows nothing but the banner")
        self.h.screenshot("update-available")
        requests = self.server.requests()
        self.assertEqual([r["path"] for r in requests], ["/latest.json"], "only the manifest: no download before consent")
        self.assertTrue(requests[0]["user_agent"].startswith("tauri-plugin-updater/2."), requests[0])
        self.assertIn("an update is available", log_text(self.h))

    def test_2_later_hides_it_and_the_app_works_on(self):
        self.s.tid("update-later").click()
        self.s.wait(lambda: not self.s.tid("update-banner").displayed(), what="the banner to go")
        self.ask("Still here after Later?")
        self.assertEqual([r["path"] for r in self.server.requests()], ["/latest.json"])

    def test_3_an_artifact_whose_signature_does_not_verify_is_refused(self):
        other_key = Key()
        tampered = bytearray(ARTIFACT)
        tampered[len(tampered) // 2] ^= 0x01
        cases = [
            # The right key over other bytes (the manifest from setUpClass).
            ("another file", None),
            ("another key", (ARTIFACT, other_key.sign(ARTIFACT, ARTIFACT_NAME, "9.9.9"))),
            ("corrupted in transit", (bytes(tampered), self.key.sign(ARTIFACT, ARTIFACT_NAME, "9.9.9"))),
            ("signed for another version", (ARTIFACT, self.key.sign(ARTIFACT, ARTIFACT_NAME, "0.1.0"))),
        ]
        for name, published in cases:
            with self.subTest(name):
                if published:
                    self.server.publish("9.9.9", NOTES, published[0], published[1], name=ARTIFACT_NAME)
                self.restart()
                self.assertEqual(self.check_status(), "available")
                self.server.clear()
                if name == "another file":
                    self.see_progress()
                text, code = self.install_and_wait_for_error()
                self.assertEqual(text, SIGNATURE_MESSAGE)
                self.assertEqual(code, "update_signature_invalid")
                self.assertEqual([r["path"] for r in self.server.requests()], [f"/{ARTIFACT_NAME}"])
                self.assertFalse(self.s.tid("update-progress").displayed())
                self.assertTrue(self.s.tid("update-install").prop("disabled"),
                                "a refused signature is not offered again")
                self.assertFalse(self.s.tid("update-later").prop("disabled"))
                if name == "another file":
                    self.h.screenshot("update-signature-refused")
                self.ask(f"Still running after a refused update ({name})?")
                self.assertEqual(app_hash(), self.app_hash, "the app's binary is untouched")
        self.s.tid("update-later").click()
        self.s.wait(lambda: not self.s.tid("update-banner").displayed(), what="the banner to go")
        self.assertIn("update not installed", log_text(self.h))

    def test_4_a_valid_signature_verifies_but_a_build_from_source_is_not_replaced(self):
        self.server.publish("9.9.9", NOTES, ARTIFACT, self.key.sign(ARTIFACT, ARTIFACT_NAME, "9.9.9"),
                            name=ARTIFACT_NAME)
        self.restart()
        self.assertEqual(self.check_status(), "available")
        text, code = self.install_and_wait_for_error()
        self.assertEqual(code, "update_not_installable")
        self.assertIn("was not installed from a package", text)
        self.assertIn("update downloaded; its signature verifies", log_text(self.h))
        self.assertEqual(app_hash(), self.app_hash)
        self.ask("Still running after an update this build cannot install?")

    def test_5_with_the_setting_off_no_request_is_made(self):
        self.s.tid("settings-button").click()
        self.s.wait(lambda: self.s.tid("settings-dialog").displayed(), what="the settings dialog")
        box = self.s.tid("settings-check-updates")
        self.assertTrue(box.prop("checked"), "on by default")
        self.s.execute("document.querySelector('[data-testid=settings-check-updates]').scrollIntoView({block: 'center'})")
        self.h.screenshot("settings-updates")
        box.click()
        self.s.tid("settings-save").click()
        self.s.wait(lambda: not self.s.tid("settings-dialog").displayed(), what="the dialog to close")
        with open(os.path.join(self.h.data_dir, "settings.json")) as f:
            self.assertIs(json.load(f)["checkForUpdates"], False)
        self.server.clear()
        self.restart()
        self.assertEqual(self.check_status(), "skipped")
        time.sleep(2)
        self.assertEqual(self.server.requests(), [])
        self.assertFalse(self.s.tid("update-banner").displayed())
        self.assertIn("not checking for updates: turned off in the settings", log_text(self.h))


class NoUpdateServer(UpdateTest):
    """Nothing listens where the manifest should be: no banner, no error, the app works."""

    @classmethod
    def setUpClass(cls):
        cls.h = Harness("updates-offline", env={"DYNASPARK_UPDATE_ENDPOINT": f"http://127.0.0.1:{free_port()}/latest.json",
                                                "DYNASPARK_UPDATE_PUBKEY": Key().pubkey})
        cls.s = cls.h.start_app()

    @classmethod
    def tearDownClass(cls):
        cls.h.close()

    def test_nothing_is_shown_and_the_app_works(self):
        self.assertEqual(self.check_status(), "failed")
        self.assertFalse(self.s.tid("update-banner").displayed())
        self.assertEqual(self.s.tids("toast"), [])
        self.ask("Does it work without an update server?")
        self.assertIn("update check failed", log_text(self.h))


class NoUpdateEndpointInDebug(UpdateTest):
    """A debug build without DYNASPARK_UPDATE_ENDPOINT (make run, the other tests) never asks
    GitHub."""

    @classmethod
    def setUpClass(cls):
        cls.h = Harness("updates-unset", env={"DYNASPARK_UPDATE_ENDPOINT": ""})
        cls.s = cls.h.start_app()

    @classmethod
    def tearDownClass(cls):
        cls.h.close()

    def test_no_check_is_made(self):
        self.assertEqual(self.check_status(), "skipped")
        self.assertFalse(self.s.tid("update-banner").displayed())
        self.assertIn("a debug build checks only when DYNASPARK_UPDATE_ENDPOINT is set", log_text(self.h))


if __name__ == "__main__":
    unittest.main(verbosity=2)
