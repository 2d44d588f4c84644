"""End-to-end: versions of a message, in the real window against the fake server. Edit
and resend makes a new version of a question and asks it with only the path before it;
"‹ 1/2 ›" switches back and forth, and the choice survives a restart; Regenerate makes a
new version of an answer, a failed one keeps the old answer and Retry regenerates again;
Up in an empty composer opens the last question's editor; a search hit in an earlier
version opens that version; Ctrl+N, Ctrl+, and Ctrl+O do what the shortcuts list says.
Run by `make test`."""
import os
import unittest

import desktop
from harness import Harness
from images import png
from webdriver import KEYS


def prompt_of(request):
    return next(p for p in request["parts"] if p["name"] == "user_input")["text"]


class Versions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.h = Harness("versions")
        cls.s = cls.h.start_app()
        cls.fake = cls.h.fake

    @classmethod
    def tearDownClass(cls):
        cls.h.close()

    def texts(self):
        """(role, text) of every message shown, oldest first."""
        return [tuple(r) for r in self.s.execute(
            "return [...document.querySelectorAll('[data-testid=message]')]"
            ".filter((m) => m.dataset.role === 'user' || m.dataset.role === 'assistant')"
            ".map((m) => [m.dataset.role, m.querySelector('[data-testid=message-text]').textContent.trim()])")]

    def label(self, role):
        """The versions label of the last message of `role` ('' when it has none)."""
        return self.s.execute(
            "const ms = document.querySelectorAll(`[data-testid=message][data-role=${arguments[0]}]`);"
            "const l = ms[ms.length - 1]?.querySelector('[data-testid=version-label]');"
            "return l ? l.textContent : ''", role)

    def last(self, role):
        return self.s.find_all(f'[data-testid="message"][data-role="{role}"]')[-1]

    def ask(self, question):
        box = self.s.tid("composer-input")
        box.click()
        box.send_keys(question)
        box.send_keys(KEYS["enter"])

    def wait_texts(self, expected, what):
        try:
            self.s.wait(lambda: self.texts() == expected, timeout=20, what=what)
        except AssertionError as e:
            toasts = self.s.execute("return [...document.querySelectorAll('.toast')].map((t) => t.textContent)")
            self.h.screenshot(f"versions-failed-{what[:20]}")
            raise AssertionError(f"{e}: {expected}; shown {self.texts()}; toasts {toasts}") from None

    def new_conversation(self):
        self.s.tid("new-conversation").click()
        self.s.wait(lambda: self.s.tid("welcome").displayed(), what="a new conversation")

    def test_1_edit_and_resend_keeps_the_old_branch_and_switches_back(self):
        self.new_conversation()
        self.fake.script(queue=[{"kind": "answer", "text": "Four."}, {"kind": "answer", "text": "Ten."}])
        self.ask("What is 2+2?")
        self.wait_texts([("user", "What is 2+2?"), ("assistant", "Four.")], "the first answer")
        self.ask("And 5+5?")
        self.wait_texts([("user", "What is 2+2?"), ("assistant", "Four."), ("user", "And 5+5?"),
                         ("assistant", "Ten.")], "the follow-up")
        self.fake.clear()
        self.fake.script(queue=[{"kind": "answer", "text": "Six."}])

        # Edit the first question: the field holds its text; Enter sends the new version.
        self.s.find_all('[data-testid="message"][data-role="user"]')[0].find('[data-testid="message-edit"]').click()
        field = self.s.tid("message-edit-input")
        self.assertEqual(field.prop("value"), "What is 2+2?")
        field.clear()
        field.send_keys("What is 3+3?")
        field.send_keys(KEYS["enter"])
        self.wait_texts([("user", "What is 3+3?"), ("assistant", "Six.")], "the edited question's answer")
        self.assertEqual(self.label("user"), "2/2")
        self.assertEqual(self.label("assistant"), "", "a new answer has one version")
        prompt = prompt_of(self.fake.requests()[0])
        self.assertEqual(prompt, "What is 3+3?", "asked with only the path before it")
        self.s.wait(lambda: "2 messages" in self.s.find('[data-testid="conversation-item"].active').prop("textContent"),
                    what="the sidebar counts what is shown")

        # ‹ back to the first version, with everything that followed it; › forward again.
        self.last("user").find('[data-testid="version-prev"]').click()
        self.wait_texts([("user", "What is 2+2?"), ("assistant", "Four."), ("user", "And 5+5?"),
                         ("assistant", "Ten.")], "the first version and what followed it")
        first = self.s.find_all('[data-testid="message"][data-role="user"]')[0]
        self.assertEqual(first.find('[data-testid="version-label"]').prop("textContent"), "1/2")
        self.assertEqual(first.find('[data-testid="version-prev"]').prop("disabled"), True)
        self.s.wait(lambda: "4 messages" in self.s.find('[data-testid="conversation-item"].active').prop("textContent"),
                    what="the sidebar count follows the version shown")
        self.h.screenshot("versions-first")
        first.find('[data-testid="version-next"]').click()
        self.wait_texts([("user", "What is 3+3?"), ("assistant", "Six.")], "the second version again")

        # The choice and both versions survive a restart.
        s = type(self).s = self.h.restart_app()
        self.s = s
        self.wait_texts([("user", "What is 3+3?"), ("assistant", "Six.")], "the version shown before the restart")
        self.assertEqual(self.label("user"), "2/2")
        self.last("user").find('[data-testid="version-prev"]').click()
        self.wait_texts([("user", "What is 2+2?"), ("assistant", "Four."), ("user", "And 5+5?"),
                         ("assistant", "Ten.")], "the first version after the restart")

    def test_2_regenerate_makes_a_new_version_and_a_failure_keeps_the_old_answer(self):
        self.new_conversation()
        self.fake.script(queue=[{"kind": "answer", "text": "Paris."}])
        self.ask("Capital of France?")
        self.wait_texts([("user", "Capital of France?"), ("assistant", "Paris.")], "the answer")
        self.fake.clear()

        # A regeneration that fails: the old answer stays, the failure says so, Retry
        # regenerates again.
        self.fake.script(queue=[{"kind": "invalid_json"}])
        self.last("assistant").find('[data-testid="message-regenerate"]').click()
        self.s.wait(lambda: self.s.find_all('[data-testid="message"][data-role="error"]'), what="the failure")
        self.assertEqual(self.texts(), [("user", "Capital of France?"), ("assistant", "Paris.")])
        self.assertNotIn("superseded", self.last("assistant").attr("class"))
        self.fake.script(queue=[{"kind": "answer", "text": "Paris, on the Seine."}])
        self.fake.clear()
        self.s.tid("retry-button").click()
        self.wait_texts([("user", "Capital of France?"), ("assistant", "Paris, on the Seine.")], "the new version")
        self.assertEqual(self.label("assistant"), "2/2")
        prompts = [prompt_of(r) for r in self.fake.requests()]
        self.assertEqual(prompts[-1], "Capital of France?", "asked without the old answer")

        # While a regeneration waits, the answer it replaces is dimmed.
        self.fake.script(queue=[{"kind": "delay", "ms": 1500, "then": {"kind": "answer", "text": "Paris!"}}])
        self.last("assistant").find('[data-testid="message-regenerate"]').click()
        self.s.wait(lambda: "superseded" in self.last("assistant").attr("class"), what="the old answer dimmed")
        self.wait_texts([("user", "Capital of France?"), ("assistant", "Paris!")], "the third version")
        self.assertEqual(self.label("assistant"), "3/3")
        self.last("assistant").find('[data-testid="version-prev"]').click()
        self.wait_texts([("user", "Capital of France?"), ("assistant", "Paris, on the Seine.")], "version 2")
        self.assertEqual(self.label("assistant"), "2/3")
        self.h.screenshot("versions-regenerated")

    def test_3_up_in_an_empty_composer_edits_the_last_question(self):
        self.new_conversation()
        self.fake.script(queue=[{"kind": "answer", "text": "Blue."}, {"kind": "answer", "text": "Green."}])
        self.ask("Colour of the sky?")
        self.wait_texts([("user", "Colour of the sky?"), ("assistant", "Blue.")], "the answer")
        box = self.s.tid("composer-input")
        box.click()
        box.send_keys(KEYS["up"])
        field = self.s.tid("message-edit-input")
        self.s.wait(lambda: self.s.execute("return document.activeElement.dataset.testid") == "message-edit-input",
                    what="the editor focused")
        self.assertEqual(field.prop("value"), "Colour of the sky?")
        # Esc puts the question back as it was, and does not touch the conversation.
        field.send_keys(KEYS["escape"])
        self.s.wait(lambda: not self.s.find_all('[data-testid="message-edit-input"]'), what="the editor closed")
        self.assertEqual(self.s.execute("return document.activeElement.dataset.testid"), "composer-input",
                         "focus is back in the composer")
        self.assertEqual(self.texts(), [("user", "Colour of the sky?"), ("assistant", "Blue.")])
        # With text in the composer, Up moves in the text instead.
        box.click()
        box.send_keys("draft")
        box.send_keys(KEYS["up"])
        self.assertFalse(self.s.find_all('[data-testid="message-edit-input"]'))
        box.clear()
        box.send_keys(KEYS["up"])
        field = self.s.tid("message-edit-input")
        field.send_keys(" At sunset?")
        self.s.tid("message-edit-send").click()
        self.wait_texts([("user", "Colour of the sky? At sunset?"), ("assistant", "Green.")], "the edited question")

    def test_4_a_search_hit_in_an_earlier_version_opens_that_version(self):
        self.new_conversation()
        self.fake.script(queue=[{"kind": "answer", "text": "Saturn has rings of ice."},
                                {"kind": "answer", "text": "Jupiter is the largest."}])
        self.ask("Tell me about Saturn")
        self.wait_texts([("user", "Tell me about Saturn"), ("assistant", "Saturn has rings of ice.")], "the answer")
        self.last("user").find('[data-testid="message-edit"]').click()
        field = self.s.tid("message-edit-input")
        field.clear()
        field.send_keys("Tell me about Jupiter")
        self.s.tid("message-edit-send").click()
        self.wait_texts([("user", "Tell me about Jupiter"), ("assistant", "Jupiter is the largest.")], "the new version")

        self.s.tid("search-input").click()
        self.s.tid("search-input").send_keys("rings")
        self.s.wait(lambda: self.s.find_all('[data-testid="search-result"]'), what="a search hit")
        hit = self.s.find_all('[data-testid="search-result"]')[0]
        self.assertEqual(hit.find('[data-testid="search-result-version"]').prop("textContent"), "earlier version")
        hit.click()
        self.wait_texts([("user", "Tell me about Saturn"), ("assistant", "Saturn has rings of ice.")],
                        "the earlier version, opened from search")
        self.assertEqual(self.label("user"), "1/2")
        self.s.wait(lambda: self.last("assistant").attr("data-highlighted") == "true", what="the hit highlighted")

    def test_5_the_window_wide_shortcuts_do_what_the_list_says(self):
        """Ctrl+N, Ctrl+, and Ctrl+O (the others have their own tests: Ctrl+K in
        test_history, Ctrl+B and Ctrl+/ in test_help, Esc and Shift+Enter in test_app, Up
        above)."""
        self.fake.script(queue=[{"kind": "answer", "text": "Noted."}])
        self.new_conversation()
        self.ask("Remember this")
        self.wait_texts([("user", "Remember this"), ("assistant", "Noted.")], "the answer")
        chord = KEYS["ctrl"] + "{}" + "\ue000"  # \ue000 releases Ctrl
        # Ctrl+N: a new conversation, with the question field focused.
        self.s.tid("composer-input").send_keys(chord.format("n"))
        self.s.wait(lambda: self.s.tid("welcome").displayed(), what="Ctrl+N to start a conversation")
        self.assertEqual(self.s.execute("return document.activeElement.dataset.testid"), "composer-input")
        # Ctrl+, opens the settings; Esc closes them.
        self.s.tid("composer-input").send_keys(chord.format(","))
        dialog = self.s.tid("settings-dialog")
        self.s.wait(lambda: dialog.displayed(), what="Ctrl+, to open the settings")
        self.assertTrue(self.s.execute(
            "return document.querySelector('[data-testid=settings-dialog]').contains(document.activeElement)"))
        self.s.tid("settings-cancel").click()
        self.s.wait(lambda: not dialog.displayed(), what="the settings to close")
        # Ctrl+O opens the native file chooser (a GTK window of its own) to attach a picture.
        picture = os.path.join(self.h.files, "dot.png")
        with open(picture, "wb") as f:
            f.write(png(8, 8, (200, 30, 30)))
        self.s.tid("composer-input").send_keys(chord.format("o"))
        desktop.choose_file_in_dialog(picture)
        self.s.wait(lambda: self.s.tid("attachment-chip").displayed(), what="the picture attached with Ctrl+O")
        self.s.tid("attachment-remove").click()


if __name__ == "__main__":
    unittest.main()
