"""End-to-end: what assistive technology finds in the real window. Roles and accessible
names come from WebKit's accessibility tree through WebDriver (computed role and label),
not from our own attributes; keyboard focus is visible. Run by `make test`."""
import unittest

from harness import Harness
from webdriver import KEYS


class Accessibility(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.h = Harness("accessibility")
        cls.s = cls.h.start_app()

    @classmethod
    def tearDownClass(cls):
        cls.h.close()

    def node(self, testid):
        el = self.s.tid(testid)
        return [el.computed_role(), el.computed_label()]

    def dump(self, testids):
        return {t: self.node(t) for t in testids}

    def test_1_the_window_reads_as_landmarks_and_named_controls(self):
        box = self.s.tid("composer-input")
        box.click()
        box.send_keys("Is this readable?")
        box.send_keys(KEYS["enter"])
        self.s.wait(lambda: len(self.s.find_all('[data-testid="message"][data-role="assistant"]')) == 1,
                    what="the answer")
        tree = self.dump(["sidebar", "conversation-list", "search-input", "new-conversation", "sidebar-toggle",
                          "message-list", "composer-input", "attach-button", "model-picker", "send-button",
                          "settings-button", "shortcuts-button", "about-button"])
        self.assertEqual(tree, {
            "sidebar": ["complementary", "Conversations"],
            "conversation-list": ["navigation", ""],
            "search-input": ["searchbox", "Search conversations"],
            "new-conversation": ["button", "New conversation"],
            "sidebar-toggle": ["button", "Hide the sidebar"],
            "message-list": ["log", "Messages"],
            "composer-input": ["textbox", "Question"],
            "attach-button": ["button", "Attach an image"],
            "model-picker": [tree["model-picker"][0], "Model"],
            "send-button": ["button", "Send"],
            "settings-button": ["button", "Settings"],
            "shortcuts-button": ["button", "Keyboard shortcuts"],
            "about-button": ["button", "About"],
        })
        self.assertIn(tree["model-picker"][0], ("combobox", "menu", "listbox", "popupbutton", "button"))
        messages = self.s.find_all('[data-testid="message"]')
        self.assertEqual([[m.computed_role(), m.computed_label()] for m in messages],
                         [["article", "You"], ["article", "Dynaspark"]])
        copy = messages[1].find('[data-testid="message-copy"]')
        self.assertEqual([copy.computed_role(), copy.computed_label()], ["button", "Copy (Markdown)"])

    def test_2_dialogs_are_named_dialogs(self):
        for opener, dialog, name in (("settings-button", "settings-dialog", "Settings"),
                                     ("shortcuts-button", "shortcuts-dialog", "Keyboard shortcuts"),
                                     ("about-button", "about-dialog", "About")):
            self.s.tid(opener).click()
            self.s.wait(lambda: self.s.tid(dialog).displayed(), what=f"the {dialog}")
            self.assertEqual(self.node(dialog), ["dialog", name])
            self.s.execute("document.querySelectorAll('dialog[open]').forEach((d) => d.close())")

    def test_3_keyboard_focus_is_visible(self):
        # Tab from the composer reaches the attach button; its focus ring is drawn.
        self.s.tid("composer-input").click()
        self.s.tid("composer-input").send_keys(KEYS["tab"])
        focused = self.s.execute("const a = document.activeElement; const st = getComputedStyle(a);"
                                 "return [a.dataset.testid, st.outlineStyle, parseFloat(st.outlineWidth)]")
        self.assertEqual(focused[0], "attach-button")
        self.assertNotEqual(focused[1], "none")
        self.assertGreaterEqual(focused[2], 2)


if __name__ == "__main__":
    unittest.main()
