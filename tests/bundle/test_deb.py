"""The Linux installer, for real (`make test-bundle`, after `make bundle`): installs the
.deb with apt-get on this machine, starts the installed app from its menu entry under
Xvfb, asks one question through the real window against the fake server, takes a
screenshot, and removes the package. Needs root or passwordless sudo (apt-get)."""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

from desktop import screenshot_screen, wait_window, xdotool  # noqa: E402
from harness import Fake  # noqa: E402

TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
OUT = os.path.join(ROOT, "tests", "bundle", "out")
BINARY = "/usr/bin/dynaspark-desktop"


def workspace_version():
    with open(os.path.join(ROOT, "Cargo.toml")) as f:
        return re.search(r'^version = "([^"]+)"', f.read(), re.M).group(1)


def as_root(*cmd):
    if os.geteuid() == 0:
        return list(cmd)
    if shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0:
        return ["sudo", "-n", *cmd]
    raise unittest.SkipTest("installing a package needs root or passwordless sudo")


def stop_installed_app():
    """Ends the processes running the installed binary (started by name, through PATH)."""
    stopped = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{pid}/exe") == BINARY:
                os.kill(int(pid), 15)
                stopped += 1
        except OSError:
            pass
    return stopped


def field(deb, name):
    return subprocess.run(["dpkg-deb", "-f", deb, name], check=True, capture_output=True, text=True).stdout.strip()


class InstalledDeb(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        debs = sorted(glob.glob(os.path.join(TARGET, "release", "bundle", "deb", "*.deb")), key=os.path.getmtime)
        if not debs:
            raise AssertionError("no .deb in target/release/bundle/deb: run `make bundle` first")
        cls.deb = debs[-1]
        cls.package = field(cls.deb, "Package")
        if subprocess.run(["dpkg-query", "-W", cls.package], capture_output=True).returncode == 0:
            raise AssertionError(f"{cls.package} is already installed here; remove it before testing the installer")
        os.makedirs(OUT, exist_ok=True)
        cls.tmp = tempfile.mkdtemp(prefix="dynaspark-bundle-")
        cls.log = open(os.path.join(OUT, "fake.log"), "w")
        cls.fake = Fake(cls.log)

    @classmethod
    def tearDownClass(cls):
        stop_installed_app()
        if subprocess.run(["dpkg-query", "-W", cls.package], capture_output=True).returncode == 0:
            subprocess.run(as_root("apt-get", "remove", "-y", "-qq", cls.package), capture_output=True)
        cls.fake.stop()
        cls.log.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_install_start_from_the_menu_ask_and_remove(self):
        # What the package says about itself.
        self.assertEqual(self.package, "dynaspark-desktop")
        self.assertEqual(field(self.deb, "Version"), workspace_version())
        self.assertIn("libwebkit2gtk-4.1-0", field(self.deb, "Depends"))
        size_mb = os.path.getsize(self.deb) / 1e6
        print(f"\n{os.path.basename(self.deb)}: {size_mb:.1f} MB", file=sys.stderr)

        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(as_root("apt-get", "install", "-y", "-qq", self.deb), check=True, env=env,
                       stdout=subprocess.DEVNULL)
        self.assertTrue(os.access(BINARY, os.X_OK), "the binary is installed")

        # The menu entry: found by the desktop, named, with its icon installed.
        entries = glob.glob("/usr/share/applications/*.desktop")
        texts = {}
        for e in entries:
            with open(e, errors="replace") as f:
                texts[e] = f.read()
        entry = next((e for e, text in texts.items() if "Exec=dynaspark-desktop" in text), None)
        self.assertIsNotNone(entry, "a menu entry starts the app")
        desktop = dict(line.split("=", 1) for line in texts[entry].splitlines() if "=" in line)
        self.assertEqual(desktop["Name"], "Dynaspark Desktop")
        self.assertEqual(desktop["Type"], "Application")
        self.assertTrue(desktop.get("Categories"), "the entry has a menu category")
        icon = desktop["Icon"]
        icons = glob.glob(f"/usr/share/icons/hicolor/*/apps/{icon}.png")
        self.assertGreaterEqual(len(icons), 3, f"icon sizes installed: {icons}")
        if shutil.which("desktop-file-validate"):
            subprocess.run(["desktop-file-validate", entry], check=True)

        # Started as the menu starts it, with a data folder and server of the test's own.
        data = os.path.join(self.tmp, "data")
        app_env = dict(os.environ, DYNASPARK_DATA_DIR=data, DYNASPARK_ENDPOINT=self.fake.endpoint)
        subprocess.run(["gio", "launch", entry], check=True, env=app_env, timeout=30)
        win = wait_window("Dynaspark Desktop", timeout=30)
        geometry = xdotool("getwindowgeometry", "--shell", win)
        dims = dict(line.split("=", 1) for line in geometry.splitlines() if "=" in line)
        self.assertGreaterEqual((int(dims["WIDTH"]), int(dims["HEIGHT"])), (720, 520))

        # One question through the window: the composer has the focus at start.
        deadline = time.time() + 30
        while not os.path.exists(os.path.join(data, "history.sqlite3")) and time.time() < deadline:
            time.sleep(0.2)
        time.sleep(2)  # the page's first paint, before typing into it
        xdotool("windowfocus", "--sync", win, check=False)
        xdotool("type", "--window", win, "--delay", "30", "Hello from the installed app")
        xdotool("key", "--window", win, "Return")
        deadline = time.time() + 30
        asked = []
        while not asked and time.time() < deadline:
            with urllib.request.urlopen(f"{self.fake.base}/__fake/requests", timeout=10) as r:
                asked = [p["text"] for q in json.loads(r.read()) for p in q["parts"] if p["name"] == "user_input"]
            time.sleep(0.3)
        self.assertEqual(asked, ["Hello from the installed app"])
        time.sleep(1.5)  # the answer on screen
        shot = screenshot_screen(os.path.join(OUT, "installed-app.png"))
        print(f"screenshot: {shot}", file=sys.stderr)
        self.assertTrue(os.listdir(os.path.join(data, "logs")), "the installed app logs to its data folder")

        self.assertEqual(stop_installed_app(), 1, "one process runs the installed binary")
        time.sleep(1)
        subprocess.run(as_root("apt-get", "remove", "-y", "-qq", self.package), check=True, env=env,
                       stdout=subprocess.DEVNULL)
        self.assertFalse(os.path.exists(BINARY), "removing the package removes the app")
        self.assertFalse(os.path.exists(entry), "and its menu entry")
        self.assertTrue(os.path.exists(os.path.join(data, "history.sqlite3")), "and keeps the person's data")


if __name__ == "__main__":
    unittest.main(verbosity=2)
