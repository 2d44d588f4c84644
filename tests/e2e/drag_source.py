"""A GTK window offering files as a text/uri-list drag source, for real drag-and-drop
tests under Xvfb. Prints "ready X Y" (the screen point to press on) once shown.
Usage: drag_source.py FILE [FILE ...]   (needs python3-gi; run with the system python)"""
import sys

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
from gi.repository import Gdk, GLib, Gtk  # noqa: E402

paths = sys.argv[1:]
uris = [GLib.filename_to_uri(p, None) for p in paths]

win = Gtk.Window(title="drag source")
win.set_default_size(160, 120)
win.move(1400, 80)
box = Gtk.EventBox()
box.add(Gtk.Label(label="drag me"))
win.add(box)
box.drag_source_set(Gdk.ModifierType.BUTTON1_MASK, [], Gdk.DragAction.COPY)
box.drag_source_add_uri_targets()


def on_get(widget, context, data, info, time):
    data.set_uris(uris)


box.connect("drag-data-get", on_get)
win.connect("destroy", Gtk.main_quit)
win.show_all()


def announce():
    x, y = win.get_position()
    print(f"ready {x + 80} {y + 60}", flush=True)
    return False


GLib.timeout_add(400, announce)
Gtk.main()
