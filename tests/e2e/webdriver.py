"""A small W3C WebDriver client (standard library only) for driving the app through
tauri-driver. Just what the end-to-end tests need: sessions, elements, keys, scripts,
screenshots, and waiting."""
import base64
import http.client
import json
import time
import urllib.error
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"

KEYS = {"enter": "\ue007", "shift": "\ue008", "ctrl": "\ue009", "escape": "\ue00c", "backspace": "\ue003", "tab": "\ue004", "up": "\ue013"}


class WebDriverError(Exception):
    pass


# tauri-driver forwards to WebKitWebDriver through a connection pool that does not retry.
# Now and then the native driver resets a pooled connection before reading the command
# on it; tauri-driver then drops our connection without an answer ("client error
# (SendRequest)" in its log). The command never reached the browser, so it is sent again.
def _call(method, url, body=None, timeout=120):
    data = json.dumps(body).encode() if body is not None else None
    for attempt in range(4):
        req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.loads(r.read() or b"{}").get("value")
        except urllib.error.HTTPError as e:
            raise WebDriverError(f"{method} {url}: {e.code} {e.read()[:600]!r}") from None
        except (ConnectionResetError, http.client.RemoteDisconnected) as e:
            if attempt == 3:
                raise WebDriverError(f"{method} {url}: connection dropped ({e})") from None
            time.sleep(0.3)
        except TimeoutError:
            # Still a TimeoutError (callers fall back on it), saying which command went
            # unanswered and with what body (a script names what it waited for).
            raise TimeoutError(f"{method} {url}: no answer in {timeout} s"
                               + (f" to {data[:300]!r}" if data else "")) from None


class Element:
    def __init__(self, session, eid):
        self.s, self.id = session, eid

    def _u(self, path=""):
        return f"{self.s.base}/element/{self.id}{path}"

    def click(self):
        _call("POST", self._u("/click"), {})
        return self

    def send_keys(self, text):
        _call("POST", self._u("/value"), {"text": text})
        return self

    def clear(self):
        _call("POST", self._u("/clear"), {})
        return self

    @property
    def text(self):
        return _call("GET", self._u("/text"))

    def attr(self, name):
        return _call("GET", self._u(f"/attribute/{name}"))

    def prop(self, name):
        return _call("GET", self._u(f"/property/{name}"))

    def displayed(self):
        return _call("GET", self._u("/displayed"))

    def computed_role(self):
        """The role in the accessibility tree, as assistive technology sees it."""
        return _call("GET", self._u("/computedrole"))

    def computed_label(self):
        """The accessible name, as assistive technology reads it."""
        return _call("GET", self._u("/computedlabel"))

    def find(self, css):
        v = _call("POST", self._u("/element"), {"using": "css selector", "value": css})
        return Element(self.s, v[ELEMENT])

    def find_all(self, css):
        v = _call("POST", self._u("/elements"), {"using": "css selector", "value": css})
        return [Element(self.s, e[ELEMENT]) for e in v]


class Session:
    def __init__(self, driver_url, application, args=None):
        caps = {"capabilities": {"alwaysMatch": {"tauri:options": {"application": application, "args": args or []}}}}
        v = _call("POST", f"{driver_url}/session", caps, timeout=180)
        self.id = v["sessionId"]
        self.base = f"{driver_url}/session/{self.id}"

    def quit(self):
        try:
            _call("DELETE", self.base, timeout=60)
        except Exception:  # the app may already be gone
            pass

    def find(self, css):
        v = _call("POST", f"{self.base}/element", {"using": "css selector", "value": css})
        return Element(self, v[ELEMENT])

    def find_all(self, css):
        v = _call("POST", f"{self.base}/elements", {"using": "css selector", "value": css})
        return [Element(self, e[ELEMENT]) for e in v]

    def tid(self, testid):
        return self.find(f'[data-testid="{testid}"]')

    def tids(self, testid):
        return self.find_all(f'[data-testid="{testid}"]')

    def set_window_size(self, width, height):
        return _call("POST", f"{self.base}/window/rect", {"width": width, "height": height})

    def execute(self, script, *args):
        return _call("POST", f"{self.base}/execute/sync", {"script": script, "args": list(args)})

    def execute_async(self, script, *args):
        return _call("POST", f"{self.base}/execute/async", {"script": script, "args": list(args)})

    def window_rect(self):
        return _call("GET", f"{self.base}/window/rect")

    def screenshot(self, path, timeout=120):
        png = _call("GET", f"{self.base}/screenshot", timeout=timeout)
        with open(path, "wb") as f:
            f.write(base64.b64decode(png))

    def wait(self, predicate, timeout=30, what="condition"):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            try:
                value = predicate()
                if value:
                    return value
            except WebDriverError as e:
                last = e
            time.sleep(0.2)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}" + (f" (last error: {last})" if last else ""))
