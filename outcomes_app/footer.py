"""The clinician app's footer: the keys that fit, the help key always among them (`KeyFooter`).

Textual's `Footer` lays its keys out in one row that scrolls sideways with
a hidden scroll bar: at 80 columns the keys past the edge (on the patient
list "q Quit" and "? Help") were simply invisible. This footer shows the
screen's keys in their order of importance (the order of the screen's
BINDINGS, then the app's) as far as they fit the width, always keeping the
help key, whose page lists every key; when some are left out its label
says so ("? All keys").
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

#: Actions kept in the footer whatever the width: help lists every other key.
ALWAYS = ("help",)
#: The help key's label when keys were left out for want of room.
MORE = "All keys"


def key_width(key_display: str, description: str) -> int:
    """Cells a footer key takes: " key " then "description " (Textual's FooterKey padding)."""
    return len(key_display) + 2 + (len(description) + 1 if description else 0)


def fitting(keys: list[FooterKey], room: int) -> list[FooterKey]:
    """The keys in order up to the first that does not fit, and the ALWAYS keys wherever they are."""
    needed = sum(key_width(k.key_display, k.description) for k in keys if k.action in ALWAYS)
    shown, used, full = [], 0, False
    for key in keys:
        width = key_width(key.key_display, key.description)
        if key.action in ALWAYS:
            shown.append(key)
        elif not full and used + width + needed <= room:
            shown.append(key)
            used += width
        else:
            full = True  # never a later key in place of a more important one left out
    return shown


class KeyFooter(Footer):
    """A footer that never hides keys past the right edge: it leaves them out, and says so."""

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        keys = self.footer_keys()
        room = self.size.width or self.app.size.width
        palette = self.palette_key()
        if palette is not None:  # docked right, after a one-cell rule, with a cell of padding
            room -= key_width(palette.key_display, palette.description) + 2
        shown = fitting(keys, room)
        if len(shown) < len(keys):
            for key in keys:
                if key.action in ALWAYS:
                    key.description = MORE
            shown = fitting(keys, room)
        yield from shown
        if palette is not None:
            yield palette

    def footer_keys(self) -> list[FooterKey]:
        """One key per action shown: the screen's in the order it declares them, then the app's."""
        order = [
            b.action for b in (*self.screen.BINDINGS, *self.app.BINDINGS) if isinstance(b, Binding)
        ]
        active = sorted(
            self.screen.active_bindings.values(),
            key=lambda a: order.index(a[1].action) if a[1].action in order else len(order),
        )
        keys, seen = [], set()
        for _, binding, enabled, tooltip in active:
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            keys.append(
                FooterKey(
                    binding.key,
                    self.app.get_key_display(binding),
                    binding.description,
                    binding.action,
                    disabled=not enabled,
                    tooltip=tooltip,
                ).data_bind(compact=Footer.compact)
            )
        return keys

    def palette_key(self) -> FooterKey | None:
        """The command palette's key, docked right as Textual's footer does."""
        if not (self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE):
            return None
        try:
            _, binding, enabled, tooltip = self.screen.active_bindings[
                self.app.COMMAND_PALETTE_BINDING
            ]
        except KeyError:
            return None
        return FooterKey(
            binding.key,
            self.app.get_key_display(binding),
            binding.description,
            binding.action,
            classes="-command-palette",
            disabled=not enabled,
            tooltip=binding.tooltip or binding.description,
        )

    def on_resize(self) -> None:
        # Which keys fit depends on the width: lay them out again at the new one.
        self.call_after_refresh(self.recompose)
