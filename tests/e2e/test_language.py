"""End-to-end: the interface language. Started under a Russian system locale the app
speaks Russian (plural forms, dates), and switching to English in Settings applies at
once, without a restart, and is kept across one. Run by `make test`."""
import json
import os
import unittest

from harness import Harness
from webdriver import KEYS

RU = {"LANG": "ru_RU.UTF-8", "LC_ALL": "ru_RU.UTF-8", "LC_MESSAGES": "ru_RU.UTF-8", "LANGUAGE": ""}


class Language(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.h = Harness("language", env=RU)
        cls.s = cls.h.start_app()

    @classmethod
    def tearDownClass(cls):
        cls.h.close()

    def setUp(self):
        self.s.execute("document.querySelectorAll('dialog[open]').forEach((d) => d.close())")

    # helpers -------------------------------------------------------------------

    def text_of(self, css):
        return self.s.execute("const el = document.querySelector(arguments[0]); return el ? el.textContent.trim() : null", css)

    def attr_of(self, css, name):
        return self.s.execute("const el = document.querySelector(arguments[0]); return el ? el.getAttribute(arguments[1]) : null", css, name)

    def messages(self, role):
        return self.s.find_all(f'[data-testid="message"][data-role="{role}"]')

    def row_meta(self):
        return self.text_of('[data-testid="conversation-item"] .meta-text')

    def group_labels(self):
        return self.s.execute("return [...document.querySelectorAll('[data-testid=group-label]')].map((e) => e.textContent)")

    def choose_language(self, value):
        self.s.tid("settings-button").click()
        self.s.wait(lambda: self.s.tid("settings-dialog").displayed(), what="the settings dialog")
        self.s.execute("const s = document.querySelector('[data-testid=settings-language]');"
                       "s.value = arguments[0]; s.dispatchEvent(new Event('change', { bubbles: true }))", value)
        self.s.tid("settings-save").click()
        self.s.wait(lambda: not self.s.tid("settings-dialog").displayed(), what="the dialog to close")

    # tests ---------------------------------------------------------------------

    def test_1_the_system_locale_gives_a_russian_interface(self):
        # WebKitGTK's navigator.language stays en-US under these variables: the backend
        # reports the system locale from the environment instead.
        info = self.s.execute_async("const done = arguments[arguments.length - 1];"
                                    "window.__TAURI__.core.invoke('app_info').then((i) => done(i.locale ?? null))")
        self.assertEqual(info, "ru_RU.UTF-8")
        self.s.wait(lambda: self.s.tid("welcome").displayed(), what="the welcome screen")
        self.assertEqual(self.s.execute("return document.documentElement.lang"), "ru")
        self.assertEqual(self.text_of('[data-testid="welcome"] h2'), "Спросите Dynaspark о чём угодно")
        self.assertEqual(self.s.tid("composer-input").attr("placeholder"), "Задайте вопрос…")
        self.assertEqual(self.attr_of('[data-testid="send-button"]', "title"), "Отправить")
        self.assertEqual(self.attr_of('[data-testid="attach-button"]', "aria-label"), "Прикрепить изображение")
        self.assertEqual(self.text_of('[data-testid="new-conversation"] span'), "Новый разговор")
        self.assertEqual(self.text_of('[data-testid="settings-button"] span'), "Настройки")
        self.assertIn("Enter — отправить", self.text_of(".composer-hint"))
        self.assertEqual(self.text_of('[data-testid="conversation-title"]'), "Новый разговор")
        self.h.screenshot("ru-welcome")

    def test_2_a_conversation_counts_its_messages_in_russian(self):
        box = self.s.tid("composer-input")
        box.click()
        box.send_keys("What is a rainbow?")
        box.send_keys(KEYS["enter"])
        self.s.wait(lambda: len(self.messages("assistant")) >= 1, what="the answer")
        self.s.wait(lambda: (self.row_meta() or "").endswith("2 сообщения"), what="'2 сообщения' in the sidebar")
        self.assertIn("Сегодня", self.group_labels())
        self.assertEqual(self.messages("user")[0].attr("aria-label"), "Вы")
        self.assertEqual(self.attr_of('[data-testid="conversation-export-json"]', "title"),
                         "Экспортировать разговор в JSON")
        # Plural forms as Intl.PluralRules picks them, through the app's own table.
        forms = self.s.execute_async(
            "const done = arguments[arguments.length - 1];"
            "import('./i18n.js').then(({ t }) => done([1, 2, 5, 21, 22, 25, 11, 111].map((n) => t('sidebar.messages', { n }))))")
        self.assertEqual(forms, ["1 сообщение", "2 сообщения", "5 сообщений", "21 сообщение", "22 сообщения",
                                 "25 сообщений", "11 сообщений", "111 сообщений"])
        self.assertEqual(self.s.execute_async(
            "const done = arguments[arguments.length - 1];"
            "import('./i18n.js').then(({ formatNumber }) => done(formatNumber(1234.5)))"), "1\u00a0234,5")
        self.h.screenshot("ru-conversation")

    def test_2b_a_failure_is_explained_in_russian_with_the_particulars_in_details(self):
        # Cloudflare's 403 is not retried; its English message names the HTTP status.
        self.s.tid("new-conversation").click()
        self.h.fake.script(queue=[{"kind": "status", "status": 403, "content_type": "text/html",
                                   "body": "<html><title>Attention Required! | Cloudflare</title></html>"}])
        box = self.s.tid("composer-input")
        box.click()
        box.send_keys("And the colours?")
        box.send_keys(KEYS["enter"])
        err = self.s.wait(lambda: (self.s.find_all('[data-testid="message"][data-role="error"]') or [None])[0],
                          what="the failure")
        self.assertEqual(err.attr("data-code"), "cloudflare")
        self.assertEqual(err.find('[data-testid="message-text"]').prop("textContent"),
                         "Запрос заблокирован Cloudflare. Повторите позже или через другую сеть.")
        details = err.find('[data-testid="error-details"] pre').prop("textContent")
        self.assertIn("The request was blocked by Cloudflare (HTTP 403)", details)
        self.assertIn("Request id: ", details)
        self.assertEqual(err.find('[data-testid="retry-button"]').prop("textContent"), "Повторить")
        self.h.screenshot("ru-error")
        err.find('[data-testid="retry-button"]').click()
        self.s.wait(lambda: len(self.messages("assistant")) == 1, what="the answer after Retry")

    def test_2c_a_settings_field_error_is_said_in_russian(self):
        self.s.tid("settings-button").click()
        self.s.wait(lambda: self.s.tid("settings-dialog").displayed(), what="the settings dialog")
        timeout = self.s.tid("settings-connect-timeout")
        timeout.clear()
        timeout.send_keys("0")
        self.s.tid("settings-save").click()
        error = self.s.tid("settings-error-connectTimeoutSecs")
        self.s.wait(lambda: error.text, what="the connect timeout's error")
        # "300" takes the genitive plural; the validation's English stays in the tooltip.
        self.assertEqual(error.prop("textContent"), "Тайм-аут подключения должен быть от 1 до 300 секунд.")
        self.assertEqual(error.attr("title"), "The connect timeout must be 1 to 300 seconds.")
        self.assertIn("invalid", timeout.attr("class"))
        self.assertTrue(self.s.tid("settings-dialog").displayed(), "an invalid form is not saved")
        self.s.execute("document.querySelector('[data-testid=settings-error-connectTimeoutSecs]')"
                       ".scrollIntoView({block: 'center'})")
        self.h.screenshot("ru-settings-error")
        self.s.tid("settings-cancel").click()
        self.s.wait(lambda: not self.s.tid("settings-dialog").displayed(), what="the dialog to close")

    def test_3_english_chosen_in_settings_applies_at_once(self):
        self.s.tid("settings-button").click()
        self.s.wait(lambda: self.s.tid("settings-dialog").displayed(), what="the settings dialog")
        self.assertEqual(self.s.tid("settings-language").prop("value"), "system")
        self.assertEqual(self.text_of("#settings-title"), "Настройки")
        self.assertEqual(self.text_of('[data-testid="settings-save"]'), "Сохранить")
        options = self.s.execute(
            "return [...document.querySelectorAll('[data-testid=settings-language] option')].map((o) => o.textContent)")
        self.assertEqual(options, ["Как в системе", "English", "Русский"])
        self.s.execute("document.querySelectorAll('dialog[open]').forEach((d) => d.close())")

        self.choose_language("en")
        # No restart: the page, the sidebar and the open conversation are English now.
        self.s.wait(lambda: self.s.execute("return document.documentElement.lang") == "en", what="lang=en")
        self.assertEqual(self.s.tid("composer-input").attr("placeholder"), "Ask a question…")
        self.assertEqual(self.text_of(".composer-hint"),
                         "Enter to send · Shift+Enter for a new line · drop or paste an image to attach it")
        self.s.wait(lambda: (self.row_meta() or "").endswith("2 messages"), what="'2 messages' in the sidebar")
        self.assertIn("Today", self.group_labels())
        self.s.wait(lambda: self.messages("user") and self.messages("user")[0].attr("aria-label") == "You",
                    what="the open conversation relabelled")
        self.assertEqual(self.attr_of('[data-testid="conversation-export-json"]', "title"),
                         "Export this conversation as JSON")
        self.assertEqual(self.text_of('[data-testid="toast"] span'), "Settings saved.")
        self.s.tid("new-conversation").click()
        self.s.wait(lambda: self.s.tid("welcome").displayed(), what="the welcome screen")
        self.assertEqual(self.text_of('[data-testid="welcome"] h2'), "Ask Dynaspark anything")
        self.assertEqual(self.text_of('[data-testid="conversation-title"]'), "New conversation")
        with open(os.path.join(self.h.data_dir, "settings.json")) as f:
            self.assertEqual(json.load(f)["language"], "en")

    def test_4_the_choice_is_kept_and_system_goes_back_to_russian(self):
        self.s = type(self).s = self.h.restart_app()
        self.assertEqual(self.s.execute("return document.documentElement.lang"), "en")
        self.s.wait(lambda: (self.row_meta() or "").endswith("2 messages"), what="'2 messages' after a restart")
        self.choose_language("system")
        self.s.wait(lambda: self.s.execute("return document.documentElement.lang") == "ru", what="lang=ru")
        self.s.wait(lambda: (self.row_meta() or "").endswith("2 сообщения"), what="'2 сообщения' again")
        self.assertEqual(self.s.tid("composer-input").attr("placeholder"), "Задайте вопрос…")


if __name__ == "__main__":
    unittest.main()
