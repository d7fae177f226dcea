"""The "Pay Now" drop-down: saved cards first (default marked), then "Add a new card…"."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import Select
from textual.widgets._select import SelectOverlay

NEW_CARD = "new"


def card_option(card: Any, expiry: bool = True) -> Text:
    label = Text(card.label)
    if expiry:
        label.append(f"  exp {card.exp_month:02d}/{card.exp_year % 100:02d}", style="dim")
    if card.is_default:
        label.append(" — default")
    return label


class PayNow(Select[Any]):
    """A drop-down labelled Pay Now. Posts PayNow.Chosen with a card id or NEW_CARD."""

    DEFAULT_CSS = """
    PayNow {
        width: 38;
    }
    """

    class Chosen(Message):
        """A card id, or NEW_CARD, was chosen."""

        def __init__(self, pay_now: PayNow, choice: Any) -> None:
            super().__init__()
            self.pay_now = pay_now
            self.choice = choice

        @property
        def control(self) -> PayNow:
            return self.pay_now

    def __init__(
        self,
        cards: Sequence[Any] = (),
        *,
        prompt: str = "Pay Now ▸ choose how to pay",
        id: str | None = None,
    ) -> None:
        super().__init__(self._card_options(cards), prompt=prompt, id=id, allow_blank=True)

    @staticmethod
    def _card_options(cards: Sequence[Any]) -> list[tuple[Text, Any]]:
        options: list[tuple[Text, Any]] = [
            (card_option(card, expiry=False), card.id) for card in cards
        ]
        options.append((Text("Add a new card…"), NEW_CARD))
        return options

    def _watch_expanded(self, expanded: bool) -> None:
        super()._watch_expanded(expanded)
        if expanded and self.is_blank():
            # Open on the first saved card (the default), not on the prompt, so that
            # Pay Now → Enter pays with the card listed first.
            overlay = self.query_one(SelectOverlay)
            if overlay.option_count > 1:
                overlay.highlighted = 1

    def set_cards(self, cards: Sequence[Any]) -> None:
        self.set_options(self._card_options(cards))

    @on(Select.Changed)
    def _changed(self, event: Select.Changed) -> None:
        if event.select is not self:
            return
        event.stop()
        if event.value is Select.NULL:
            return
        choice = event.value
        self.clear()
        self.post_message(self.Chosen(self, choice))
