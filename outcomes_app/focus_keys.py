"""Tab and shift+tab move the focus before the next key is handed out (issue 23).

Textual hands each key to the focused widget's own queue; a Tab then bubbles
from that widget up to the screen's binding, and only there does the focus
move. Keys that arrive together (typed while the app was busy for a moment,
or sent by a script 0.4-0.6 s apart during a reload) were handed to the old
field before that happened: "95", Tab, "78" became "9578" in one field. Bound
at the app with priority, Tab is handled as the app takes it from its queue,
so the next key already finds the next field (`tests/app/test_tab_order.py`).
"""

from __future__ import annotations

from textual.binding import Binding

#: The app-level, priority bindings of both apps (the screens' own do the same, late).
FOCUS_BINDINGS = [
    Binding("tab", "focus_next", "Next field", show=False, priority=True),
    Binding("shift+tab", "focus_previous", "Previous field", show=False, priority=True),
]
