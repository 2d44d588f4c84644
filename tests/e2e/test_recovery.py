"""End to end: unreadable files at start-up are moved aside, never deleted, and the
person is told where they are; the app still works."""
import glob
import os
import sqlite3
import unittest

from harness import Harness
from webdriver import KEYS

GARBAGE_DB = b"SQLite format 3\0" + b"\xff" * 4096
GARBAGE_SETTINGS = b'{"endpoint": "https://dynaspark.onrender.com/gener'


class StartupRecovery(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.h = Harness("recovery")
        os.makedirs(cls.h.data_dir)
        with open(os.path.join(cls.h.data_dir, "history.sqlite3"), "wb") as f:
            f.write(GARBAGE_DB)
        with open(os.path.join(cls.h.data_dir, "settings.json"), "wb") as f:
            f.write(GARBAGE_SETTINGS)
        cls.s = cls.h.start_app()

    @classmethod
    def tearDownClass(cls):
        cls.h.close()

    def test_unreadable_files_are_kept_and_reported(self):
        toasts = self.s.wait(lambda: len(self.s.tids("toast")) >= 2 and self.s.tids("toast"), what="two notices")
        texts = " ".join(t.text for t in toasts)
        self.assertIn("conversation history could not be read", texts)
        self.assertIn("settings file could not be read", texts)
        self.h.screenshot("recovery")
        for name, original in (("history.sqlite3", GARBAGE_DB), ("settings.json", GARBAGE_SETTINGS)):
            kept = glob.glob(os.path.join(self.h.data_dir, f"{name}.corrupt-*"))
            self.assertEqual(len(kept), 1, f"{name} moved aside once")
            self.assertIn(os.path.basename(kept[0]), texts, "the notice says where the old file is")
            with open(kept[0], "rb") as f:
                self.assertEqual(f.read(), original, f"{name} kept byte for byte")

    def test_the_app_still_works(self):
        box = self.s.tid("composer-input")
        box.click()
        box.send_keys("Still there?")
        box.send_keys(KEYS["enter"])
        answer = self.s.wait(lambda: self.s.find_all('[data-testid="message"][data-role="assistant"]'), what="an answer")
        self.assertIn("Still there?", answer[0].text)


class NewerHistory(unittest.TestCase):
    """A history written by a newer version is left untouched; the app says so and runs."""

    @classmethod
    def setUpClass(cls):
        cls.h = Harness("newer-history")
        os.makedirs(cls.h.data_dir)
        cls.db = os.path.join(cls.h.data_dir, "history.sqlite3")
        conn = sqlite3.connect(cls.db)
        conn.execute("CREATE TABLE future (x)")
        conn.execute("PRAGMA user_version = 99")
        conn.commit()
        conn.close()
        with open(cls.db, "rb") as f:
            cls.original = f.read()
        cls.s = cls.h.start_app()

    @classmethod
    def tearDownClass(cls):
        cls.h.close()

    def test_the_newer_file_is_kept_and_the_app_runs(self):
        toast = self.s.wait(lambda: self.s.tids("toast"), what="the notice")[0]
        self.assertIn("newer Dynaspark Desktop", toast.text)
        box = self.s.tid("composer-input")
        box.click()
        box.send_keys("Still usable?" + KEYS["enter"])
        self.s.wait(lambda: self.s.find_all('[data-testid="message"][data-role="assistant"]'), what="an answer")
        with open(self.db, "rb") as f:
            self.assertEqual(f.read(), self.original, "the newer history was not touched")


if __name__ == "__main__":
    unittest.main(verbosity=2)
