"""A signed-in page whose data is fetched in a worker and shown when it arrives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from textual import on, work
from textual.message import Message

from screens.kiosk.base import SignedInScreen
from screens.kiosk.context import ClientDesk, KioskContext

DataT = TypeVar("DataT")


class LoadingScreen(SignedInScreen[ClientDesk], Generic[DataT]):
    """A client page: `fetch()` runs in a worker, its result comes back as `Loaded`."""

    @dataclass
    class Loaded(Message):
        """The page's data (what `fetch()` returned), back on the UI thread."""

        data: Any

    @dataclass
    class Failed(Message):
        """A change the client asked for failed; `message` is one line for them."""

        message: str

    def __init__(self, ctx: KioskContext[ClientDesk]) -> None:
        super().__init__(ctx)
        self.data: DataT | None = None

    def on_mount(self) -> None:
        # Textual calls every on_mount up the MRO: a subclass's own on_mount must not reload.
        self.reload()

    def reload(self) -> None:
        self._load()

    def fetch(self) -> DataT:
        """The page's data, read in the worker thread."""
        raise NotImplementedError

    @work(thread=True, exit_on_error=False, group="load")
    def _load(self) -> None:
        self.post_message(self.Loaded(self.fetch()))

    def change_then_reload(self, change: Callable[[], object]) -> None:
        """In a worker: make the change, then reload; a failure is told to the client."""
        try:
            change()
        except Exception as exc:  # noqa: BLE001 - one line for the client
            self.post_message(self.Failed(str(exc)))
            raise
        self.post_message(self.Loaded(self.fetch()))

    @on(Failed)
    def _failed(self, event: Failed) -> None:
        self.notify(event.message, severity="error", markup=False)
