"""Desktop input the WebDriver cannot give: the native GTK file chooser (driven with
xdotool), a real drag and drop from another X client (a tiny GTK drag source), and
pictures of the whole screen (native dialogs are not in the webview's screenshots)."""
import os
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def xdotool(*args, check=True):
    return subprocess.run(["xdotool", *args], check=check, capture_output=True, text=True).stdout.strip()


def wait_window(name, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        out = xdotool("search", "--onlyvisible", "--name", name, check=False)
        if out:
            return out.split()[-1]
        time.sleep(0.25)
    names = [xdotool("getwindowname", w, check=False)
             for w in xdotool("search", "--onlyvisible", "--name", ".", check=False).split()]
    raise AssertionError(f"no visible window named {name!r} after {timeout}s; visible: {names!r}")


def choose_file_in_dialog(path, title="Attach an image"):
    """Types `path` into the GTK file chooser. Without a window manager the dialog must be
    focused by hand; the first key switches the chooser to its location entry and can be
    swallowed, hence the `/` and the pause before the real path."""
    win = wait_window(title)
    time.sleep(0.8)
    xdotool("windowfocus", "--sync", win, check=False)
    xdotool("key", "--window", win, "ctrl+l")
    time.sleep(0.3)
    xdotool("type", "--window", win, "/")
    time.sleep(1.0)
    xdotool("key", "--window", win, "ctrl+a")
    xdotool("type", "--window", win, "--delay", "20", path)
    time.sleep(0.4)
    xdotool("key", "--window", win, "Return")


def cancel_dialog(title="Attach an image"):
    win = wait_window(title)
    time.sleep(0.5)
    xdotool("windowfocus", "--sync", win, check=False)
    xdotool("key", "--window", win, "Escape")


def app_window():
    return wait_window("Dynaspark Desktop")


def drag_files_onto_app(paths, target=(600, 350)):
    """Starts a GTK window that offers `paths` as text/uri-list and drags from it onto
    the app window with real pointer events."""
    # python3-gi belongs to the system Python, whichever Python runs the tests.
    src = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "drag_source.py"), *paths],
                           stdout=subprocess.PIPE, text=True)
    try:
        line = src.stdout.readline().strip()  # "ready X Y"
        if not line.startswith("ready"):
            raise AssertionError(f"drag source did not start: {line!r}")
        _, sx, sy = line.split()
        sx, sy = int(sx), int(sy)
        time.sleep(0.5)
        app = app_window()
        ax, ay = _window_origin(app)
        tx, ty = ax + target[0], ay + target[1]
        xdotool("mousemove", "--sync", str(sx), str(sy))
        time.sleep(0.2)
        xdotool("mousedown", "1")
        for i in range(1, 31):
            x = sx + (tx - sx) * i // 30
            y = sy + (ty - sy) * i // 30
            xdotool("mousemove", str(x), str(y))
            time.sleep(0.03)
        time.sleep(0.4)
        xdotool("mousemove", str(tx + 3), str(ty + 3))
        time.sleep(0.4)
        xdotool("mouseup", "1")
        time.sleep(0.5)
    finally:
        src.terminate()
        src.wait(5)
        src.stdout.close()


def _window_origin(win):
    out = xdotool("getwindowgeometry", "--shell", win)
    vals = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return int(vals.get("X", 0)), int(vals.get("Y", 0))


def screenshot_screen(path, area=None):
    """Saves the X screen as a PNG (GDK from the system Python, as drag_source): all of it,
    or `area`, a rect with x, y, width and height (as WebDriver gives a window's)."""
    x, y, w, h = (int(area[k]) for k in ("x", "y", "width", "height")) if area else (0, 0, 0, 0)
    script = (
        "import sys, gi; gi.require_version('Gdk', '3.0'); from gi.repository import Gdk; "
        "root = Gdk.get_default_root_window(); "
        "x, y, w, h = map(int, sys.argv[2:6]); "
        "w, h = (w, h) if w else (root.get_width(), root.get_height()); "
        "pb = Gdk.pixbuf_get_from_window(root, x, y, w, h); "
        "pb.savev(sys.argv[1], 'png', [], [])"
    )
    subprocess.run(["/usr/bin/python3", "-c", script, path, str(x), str(y), str(w), str(h)],
                   check=True, timeout=30)
    return path


def set_clipboard(data, target):
    """Puts `data` on the X clipboard as `target` (a MIME type): xclip takes the selection
    and serves it from the background until another owner takes it."""
    subprocess.run(["xclip", "-selection", "clipboard", "-t", target, "-i"], input=data, check=True, timeout=10)
    deadline = time.time() + 10
    while target not in subprocess.run(["xclip", "-selection", "clipboard", "-t", "TARGETS", "-o"],
                                       capture_output=True, text=True).stdout:
        if time.time() > deadline:
            raise AssertionError(f"the clipboard does not offer {target}")
        time.sleep(0.1)
