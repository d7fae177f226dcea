"""The "Pay Now" drop-down: saved cards first (default marked), then "Add a new card…"."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import Select
from textual.widgets._select import SelectOverlay

from services.payments.cards import CardView

NEW_CARD = "new"
PayNowChoice: TypeAlias = int | str
"""A saved card's id, or NEW_CARD."""


def card_option(card: CardView, expiry: bool = True) -> Text:
    label = Text(card.label)
    if expiry:
        label.append(f"  {card.expiry}", style="dim")
    if card.is_default:
        label.append(" — default")
    return label


class PayNow(Select[PayNowChoice]):
    """A drop-down labelled Pay Now. Posts PayNow.Chosen with a card id or NEW_CARD."""

    DEFAULT_CSS = """
    PayNow {
        width: 38;
    }
    """

    class Chosen(Message):
        """A card id, or NEW_CARD, was chosen."""

        def __init__(self, pay_now: PayNow, choice: PayNowChoice) -> None:
            super().__init__()
            self.pay_now = pay_now
            self.choice = choice

        @property
        def control(self) -> PayNow:
            return self.pay_now

    def __init__(
        self,
        cards: Sequence[CardView] = (),
        *,
        prompt: str = "Pay Now ▸ choose how to pay",
        id: str | None = None,
    ) -> None:
        super().__init__(self._card_options(cards), prompt=prompt, id=id, allow_blank=True)

    @staticmethod
    def _card_options(cards: Sequence[CardView]) -> list[tuple[Text, PayNowChoice]]:
        options: list[tuple[Text, PayNowChoice]] = [
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

    def set_cards(self, cards: Sequence[CardView]) -> None:
        self.set_options(self._card_options(cards))

    @on(Select.Changed)
    def _changed(self, event: Select.Changed) -> None:
        if event.select is not self:
            return
        event.stop()
        choice = event.value
        if not isinstance(choice, int | str):  # Select.NULL: nothing chosen
            return
        self.clear()
        self.post_message(self.Chosen(self, choice))
