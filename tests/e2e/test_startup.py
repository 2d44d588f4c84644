"""End to end: the real binary started directly (no WebDriver). A data folder that cannot
be used ends in a native message dialog naming the reason and the folder, a log line on
stderr and exit status 1, never a panic; a first start prints no logging complaint."""
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from desktop import screenshot_screen, wait_window, xdotool
from harness import APP, OUT

FAILURE_TITLE = "Dynaspark Desktop could not start"


class Startup(unittest.TestCase):
    def setUp(self):
        os.makedirs(OUT, exist_ok=True)
        self.tmp = tempfile.mkdtemp(prefix="dynaspark-e2e-startup-")
        self.proc = None
        self.stderr = None

    def tearDown(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if self.stderr:
            self.stderr.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self, data_dir):
        env = dict(os.environ, DYNASPARK_DATA_DIR=data_dir, DYNASPARK_ENDPOINT="http://127.0.0.1:9/generate_response")
        self.stderr_path = os.path.join(self.tmp, "stderr.txt")
        self.stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen([APP], env=env, stdout=subprocess.DEVNULL, stderr=self.stderr)

    def stderr_text(self):
        self.stderr.flush()
        with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def test_a_file_in_place_of_the_data_folder_ends_in_a_dialog_and_status_1(self):
        data_dir = os.path.join(self.tmp, "data")
        with open(data_dir, "w") as f:
            f.write("a file, not a folder\n")
        self.start(data_dir)
        dialog = wait_window(FAILURE_TITLE, timeout=30)
        self.assertIsNone(self.proc.poll(), "the app waits for the dialog to be closed")
        time.sleep(0.5)
        screenshot_screen(os.path.join(OUT, "startup-failure-dialog.png"))
        xdotool("windowfocus", "--sync", dialog, check=False)
        xdotool("key", "--window", dialog, "Return")
        try:
            status = self.proc.wait(20)
        except subprocess.TimeoutExpired:
            xdotool("key", "--window", dialog, "Escape", check=False)
            status = self.proc.wait(10)
        self.assertEqual(status, 1)
        err = self.stderr_text()
        self.assertIn(FAILURE_TITLE, err)
        self.assertIn("The data folder cannot be created: a file is in its place", err)
        self.assertIn(data_dir, err)
        self.assertNotIn("panicked", err)

    def test_a_first_start_prints_no_logging_complaint(self):
        data_dir = os.path.join(self.tmp, "fresh", "data")
        self.start(data_dir)
        wait_window("Dynaspark Desktop", timeout=60)
        logs = os.path.join(data_dir, "logs")
        deadline = time.time() + 30
        while time.time() < deadline and not (os.path.isdir(logs) and os.listdir(logs)):
            time.sleep(0.2)
        self.assertTrue(os.listdir(logs), "a log file was started")
        time.sleep(1)
        self.proc.terminate()
        self.proc.wait(20)
        err = self.stderr_text()
        self.assertNotIn("Error reading the log directory", err)
        self.assertNotIn("logging to a file disabled", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
