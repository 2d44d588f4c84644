"""End-to-end tests of the history at a heavy user's size, in the real window: a
generated history (300 conversations, one of 5,000 messages) is opened, scrolled,
searched, managed (rename, pin, delete with Undo, clear), exported and imported.
The tests share one data directory and run in order."""
import json
import os
import sqlite3
import subprocess
import time
import unittest

from desktop import choose_file_in_dialog, drag_files_onto_app
from harness import TARGET, Harness
from images import png
from webdriver import KEYS

GEN = os.path.join(TARGET, "debug", "history-gen")
MARKER = "zebracorn"


class HeavyHistory(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.h = Harness("history")
        cls.fake = cls.h.fake
        os.makedirs(cls.h.data_dir)
        subprocess.run([GEN, "--dir", cls.h.data_dir, "--conversations", "300", "--messages", "6000",
                        "--big", "5000", "--pinned", "0"], check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(cls.h.data_dir, "history-gen.json")) as f:
            cls.big = json.load(f)["big"]
        # One old message of the big conversation gets a word found nowhere else. Its
        # stored HTML is marked stale: the app must render it again when it shows it.
        db = sqlite3.connect(os.path.join(cls.h.data_dir, "history.sqlite3"))
        cls.marked = db.execute(
            "SELECT id FROM messages WHERE conversation_id = ? AND role = 'assistant' ORDER BY id LIMIT 1 OFFSET 60",
            (cls.big["id"],)).fetchone()[0]
        db.execute("UPDATE messages SET text = text || ?, html_version = 0 WHERE id = ?",
                   (f"\n\nThe {MARKER} was here.", cls.marked))
        db.commit()
        db.close()
        cls.s = cls.h.start_app()
        cls.red = os.path.join(cls.h.files, "red.png")
        with open(cls.red, "wb") as f:
            f.write(png(48, 48, (220, 30, 40)))

    @classmethod
    def tearDownClass(cls):
        cls.h.close()

    def setUp(self):
        # A test that failed with a dialog open must not make the next one fail too.
        self.s.execute("document.querySelectorAll('dialog[open]').forEach((d) => d.close())")

    # helpers -------------------------------------------------------------------

    def item(self, conversation_id):
        items = self.s.find_all(f'[data-testid="conversation-item"][data-id="{conversation_id}"]')
        return items[0] if items else None

    def titles(self):
        return self.s.execute(
            "return [...document.querySelectorAll('[data-testid=conversation-item]')]"
            ".sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)"
            ".map(e => [Number(e.dataset.id), e.querySelector('[data-testid=conversation-title-text]').textContent])")

    def message_ids(self):
        return self.s.execute(
            "return [...document.querySelectorAll('[data-testid=message]')].map(e => Number(e.dataset.id)).filter(n => n > 0)")

    def type_and_send(self, text):
        box = self.s.tid("composer-input")
        box.click()
        box.send_keys(text)
        box.send_keys(KEYS["enter"])

    def open_big(self):
        self.s.execute("document.querySelector('[data-testid=conversation-list]').scrollTop = 0")
        item = self.s.wait(lambda: self.item(self.big["id"]), what="the big conversation in the sidebar")
        item.click()
        self.s.wait(lambda: self.big["lastMessageId"] in self.message_ids(), what="its newest message")

    # tests ---------------------------------------------------------------------

    def test_01_the_sidebar_is_windowed_and_pages_in(self):
        rows = self.s.tids("conversation-item")
        self.assertGreater(len(rows), 5)
        self.assertLess(len(rows), 120, "only the rows in view (and a margin) are in the DOM")
        labels = [e.prop("textContent") for e in self.s.tids("group-label")]
        self.assertIn("Today", labels)
        # Scroll through to the end, a viewport at a time; pages load on the way (a
        # second pass picks up rows that were still loading when scrolled past).
        seen = set()
        for _ in range(3):
            self.s.execute("document.querySelector('[data-testid=conversation-list]').scrollTop = 0")
            for _ in range(100):
                time.sleep(0.1)
                seen.update(i for i, _ in self.titles())
                at_end = self.s.execute(
                    "const l = document.querySelector('[data-testid=conversation-list]');"
                    "const end = l.scrollTop + l.clientHeight >= l.scrollHeight - 2;"
                    "l.scrollTop += l.clientHeight * 0.8; return end")
                if at_end:
                    break
            if len(seen) >= 300:
                break
        self.assertEqual(len(seen), 300, "every conversation was listed once scrolled to")
        self.assertLess(len(self.s.tids("conversation-item")), 120)

    def test_02_a_5000_message_conversation_opens_and_scrolls_to_its_start(self):
        self.open_big()
        self.assertLess(len(self.message_ids()), 250, "the message list is windowed")
        self.s.wait(lambda: self.s.tid("jump-oldest").displayed(), what="the jump to the oldest message")
        # Scroll up like a person flicking the wheel: pages come in above, the view stays put.
        first = self.big["firstMessageId"]
        for _ in range(1500):
            if first in self.message_ids():
                break
            self.s.execute("const l = document.querySelector('[data-testid=message-list]'); l.scrollTop -= 4000")
            time.sleep(0.03)
        self.assertIn(first, self.message_ids(), "the first message was reached by scrolling")
        self.assertLess(len(self.message_ids()), 250, "the DOM stayed bounded")
        self.s.wait(lambda: self.s.tid("jump-latest").displayed(), what="the jump to the latest message")
        self.s.tid("jump-latest").click()
        self.s.wait(lambda: self.big["lastMessageId"] in self.message_ids(), what="the newest message again")
        self.s.tid("jump-oldest").click()
        self.s.wait(lambda: first in self.message_ids(), what="the oldest message after the jump")
        self.h.screenshot("history-big-oldest")

    def test_03_search_finds_an_old_message_and_opens_it_there(self):
        self.s.tid("new-conversation").click()
        self.s.tid("composer-input").send_keys(KEYS["ctrl"] + "k")
        self.s.wait(lambda: self.s.execute(
            "return document.activeElement === document.querySelector('[data-testid=search-input]')"),
            what="Ctrl+K to focus the search")
        self.s.tid("search-input").send_keys(MARKER[:5])
        # Results follow the typing: wait for the ones for the whole word typed so far.
        self.s.wait(lambda: self.s.execute(
            "const r = [...document.querySelectorAll('[data-testid=search-result]')];"
            "return document.querySelector('[data-testid=search-results]').dataset.query === arguments[1]"
            " && r.length === 1 && Number(r[0].dataset.messageId) === arguments[0]", self.marked, MARKER[:5]),
            what="the one matching message")
        hit = self.s.tids("search-result")[0]
        self.assertEqual(hit.find("mark").prop("textContent").lower(), MARKER)
        self.h.screenshot("history-search")
        hit.click()
        el = self.s.wait(lambda: self.s.find_all(f'[data-testid="message"][data-id="{self.marked}"]'),
                         what="the found message")[0]
        self.s.wait(lambda: el.attr("data-highlighted") == "true", what="the highlight")
        self.assertTrue(self.s.execute(
            "const e = arguments[0], l = document.querySelector('[data-testid=message-list]');"
            "const r = e.getBoundingClientRect(), v = l.getBoundingClientRect();"
            "return r.bottom > v.top && r.top < v.bottom", {"element-6066-11e4-a52e-4f735466cecf": el.id}),
            "the found message is in view")
        self.assertIn(f"The {MARKER} was here.", el.find('[data-testid="message-text"]').text,
                      "stale HTML was rendered again when shown")
        self.s.tid("search-input").send_keys(KEYS["escape"])
        self.s.wait(lambda: not self.s.tids("search-result"), what="the results to close")

    def test_03b_many_hits_come_in_as_the_list_is_scrolled_or_walked(self):
        # The first hits are laid out with the answer, the rest when they are approached.
        box = self.s.tid("search-input")
        box.send_keys("the")
        count = ("const r = document.querySelector('[data-testid=search-results]');"
                 "return r.dataset.query === 'the' ? r.querySelectorAll('[data-testid=search-result]').length : -1")
        self.s.wait(lambda: self.s.execute(count) > 0, what="hits for 'the'")
        self.assertLessEqual(self.s.execute(count), 16, "only the first hits are laid out at once")
        self.h.screenshot("history-search-many")
        # Walking down with the keyboard goes past them.
        for _ in range(18):
            self.s.execute("document.activeElement.dispatchEvent("
                           "new KeyboardEvent('keydown', {key: 'ArrowDown', bubbles: true}))")
        self.assertEqual(self.s.execute(
            "return [...document.querySelectorAll('[data-testid=search-result]')]"
            ".findIndex((e) => e.getAttribute('aria-selected') === 'true')"), 17)
        self.assertEqual(self.s.execute(count), 50, "the rest came in when the selection reached them")
        # Scrolled to its end, a fresh list has every hit too.
        box.send_keys(KEYS["escape"])
        box = self.s.tid("search-input")
        box.send_keys("the")
        self.s.wait(lambda: self.s.execute(count) > 0, what="hits for 'the' again")
        self.s.execute("const r = document.querySelector('[data-testid=search-results]'); r.scrollTop = r.scrollHeight")
        self.s.wait(lambda: self.s.execute(count) == 50, what="every hit once scrolled to the end")
        self.s.tid("search-input").send_keys(KEYS["escape"])
        self.s.wait(lambda: not self.s.tids("search-result"), what="the results to close")

    def test_04_rename_pin_and_delete_with_undo(self):
        self.s.execute("document.querySelector('[data-testid=conversation-list]').scrollTop = 0")
        rows = self.titles()
        target_id = rows[3][0]
        row = self.item(target_id)
        row.find('[data-testid="conversation-rename"]').click()
        box = self.s.wait(lambda: row.find_all('[data-testid="conversation-rename-input"]'), what="the rename box")[0]
        box.send_keys(KEYS["ctrl"] + "a")
        box.send_keys("Renamed by the test" + KEYS["enter"])
        self.s.wait(lambda: self.item(target_id).find('[data-testid="conversation-title-text"]')
                    .prop("textContent") == "Renamed by the test", what="the new title")

        self.item(target_id).find('[data-testid="conversation-pin"]').click()
        self.s.wait(lambda: self.titles()[0][0] == target_id, what="the pinned conversation on top")
        self.assertEqual(self.item(target_id).attr("data-pinned"), "true")
        self.h.screenshot("history-pinned")

        victim = self.titles()[2][0]
        self.item(victim).find('[data-testid="conversation-delete"]').click()
        self.s.wait(lambda: self.item(victim) is None, what="the deleted row to go")
        undo = self.s.wait(lambda: self.s.tids("toast-undo"), what="the Undo toast")[0]
        undo.click()
        self.s.wait(lambda: self.item(victim) is not None, what="the conversation back")

        self.item(victim).find('[data-testid="conversation-delete"]').click()
        self.s.wait(lambda: self.item(victim) is None, what="the deleted row to go")
        # Really gone once the toast expires, and after a restart.
        self.s.wait(lambda: not self.s.tids("toast-undo"), timeout=20, what="the Undo toast to expire")
        self.s = self.__class__.s = self.h.restart_app()
        self.s.wait(lambda: self.s.tids("conversation-item"), what="the sidebar")
        first = self.titles()[0]
        self.assertEqual(first, [target_id, "Renamed by the test"], "rename and pin were saved")
        self.assertEqual(self.item(target_id).attr("data-pinned"), "true")
        self.assertIsNone(self.item(victim))
        db = sqlite3.connect(os.path.join(self.h.data_dir, "history.sqlite3"))
        self.assertEqual(db.execute("SELECT COUNT(*) FROM conversations WHERE id = ?", (victim,)).fetchone()[0], 0)
        db.close()

    def test_05_export_then_import_reproduces_a_conversation_with_its_image(self):
        self.s.tid("new-conversation").click()
        drag_files_onto_app([self.red])
        self.s.wait(lambda: self.s.tid("attachment-chip").displayed(), timeout=20, what="the dropped image")
        self.type_and_send("Export me with my picture")
        self.s.wait(lambda: self.s.find_all('[data-testid="message"][data-role="assistant"]'), what="the answer")
        conversation_id = int(self.s.execute(
            "return document.querySelector('[data-testid=conversation-item][aria-current=page]').dataset.id"))
        out = os.path.join(self.h.files, "export", "picture.json")
        os.makedirs(os.path.dirname(out))
        self.s.tid("conversation-export-json").click()
        choose_file_in_dialog(out, title="Export conversations")
        self.s.wait(lambda: os.path.exists(out), timeout=20, what="the export file")
        with open(out) as f:
            exported = json.load(f)
        self.assertEqual(exported["format"], "dynaspark-desktop/history")
        self.assertEqual(len(exported["conversations"]), 1)
        image = exported["conversations"][0]["messages"][0]["image"]
        self.assertTrue(os.path.exists(os.path.join(os.path.dirname(out), image["path"])))

        # Gone from the app for good (the Undo toast is dismissed), then imported back.
        self.item(conversation_id).find('[data-testid="conversation-delete"]').click()
        self.s.wait(lambda: self.item(conversation_id) is None, what="the deleted row to go")
        self.s = self.__class__.s = self.h.restart_app()
        self.s.tid("settings-button").click()
        # The dialog opens once the settings have been read; a click before that finds
        # the button inside a closed dialog.
        self.s.wait(lambda: self.s.tid("settings-dialog").displayed(), what="the settings dialog")
        self.s.tid("settings-import").click()
        choose_file_in_dialog(out, title="Import conversations")
        self.s.wait(lambda: any("1" in t.text for t in self.s.tids("toast")), timeout=20, what="the import report")
        self.s.execute("document.querySelector('[data-testid=settings-dialog]').close()")
        row = self.s.wait(lambda: next((self.item(i) for i, t in self.titles() if t == "Export me with my picture"), None),
                          what="the imported conversation")
        row.click()
        self.s.wait(lambda: self.s.execute(
            "const i = document.querySelector('[data-testid=message-image]');"
            "return !!i && i.complete && i.naturalWidth === 48"), what="the imported image")
        texts = [e.prop("textContent") for e in self.s.tids("message-text")]
        self.assertEqual(texts[0], "Export me with my picture")
        self.assertEqual(len(texts), 2, "question and answer")

        # A click on the picture shows it at full size; Esc closes it and focus returns.
        # (The import report toast sits over the question's picture until it goes.)
        self.s.wait(lambda: not self.s.tids("toast"), timeout=30, what="the import report to go")
        self.s.tid("message-image").click()
        self.s.wait(lambda: self.s.execute(
            "const d = document.querySelector('[data-testid=lightbox]'), i = document.querySelector('[data-testid=lightbox-image]');"
            "return d.open && i.complete && i.naturalWidth === 48 && i.getBoundingClientRect().width === 48"),
            what="the picture at full size")
        self.h.screenshot("lightbox")
        self.s.tid("lightbox-close").send_keys("\ue00c")  # Escape, to the focused close button
        self.s.wait(lambda: not self.s.execute("return document.querySelector('[data-testid=lightbox]').open"),
                    what="the lightbox to close")
        self.assertEqual(self.s.execute("return document.activeElement.dataset.testid"), "message-image")

    def test_06_clear_all_history_after_confirmation(self):
        self.s.tid("settings-button").click()
        self.s.wait(lambda: self.s.tid("settings-dialog").displayed(), what="the settings dialog")
        self.s.wait(lambda: not self.s.tids("toast"), timeout=30, what="earlier notices to go")
        self.s.tid("settings-clear-history").click()
        confirm = self.s.wait(lambda: self.s.tid("settings-clear-history-confirm").displayed()
                              and self.s.tid("settings-clear-history-confirm"), what="the confirmation")
        self.assertEqual(len(self.s.tids("conversation-item")) > 0, True, "nothing is deleted before confirming")
        confirm.click()
        self.s.wait(lambda: not self.s.tids("conversation-item"), timeout=60, what="an empty sidebar")
        db = sqlite3.connect(os.path.join(self.h.data_dir, "history.sqlite3"))
        self.assertEqual(db.execute("SELECT COUNT(*) FROM messages").fetchone()[0], 0)
        db.close()
        images = os.path.join(self.h.data_dir, "images")
        self.assertEqual(os.listdir(images) if os.path.isdir(images) else [], [], "unused images removed")


if __name__ == "__main__":
    unittest.main(verbosity=2)
