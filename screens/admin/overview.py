"""Overview: what is owed and how old, what came in this month, the next billing run, and
what needs attention (Enter opens the client an item is about)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from screens.admin.base import AdminScreen
from screens.admin.events import OpenClient
from screens.admin.paged_table import Cell, PagedTable, TablePage
from screens.widgets.literal import join
from services.console.attention import KINDS, Attention
from services.console.next_run import NextRun
from services.console.receivables import Receivables, Received
from services.text import visible

ATTENTION_COLUMNS = (("What", 15), ("Client", 20), ("About", 14), ("Why / next step", None))
ATTENTION_NARROW = (
    (0, "What", 14),
    (1, "Client", 14),
    (2, "About", 12),
    (3, "Why / next step", None),
)
SHOWN_RUN_ITEMS = 3
ATTENTION_PER_KIND = 50  # items listed of each kind (all are counted)


@dataclass(frozen=True)
class Figures:
    receivables: Receivables
    received: Received


class OverviewScreen(AdminScreen):
    """The business at a glance; the needs-attention list is a key press from each client."""

    section = "overview"
    BINDINGS = [("r", "refresh", "Refresh")]
    _run: NextRun | None = None
    _reading = 0  # the latest read of the screen's parts (a refresh starts a new one)
    _parts: dict[str, object]  # what that read has brought in so far

    def body(self) -> ComposeResult:
        with Horizontal(id="overview-figures"):
            yield Static("Loading…", id="receivables", classes="panel", markup=False)
            received = Static("Loading…", id="received", classes="panel", markup=False)
            received.border_title = "Received this month"
            yield received
        yield Static("Next run…", id="next-run", classes="panel", markup=False)
        yield Static("Needs attention", id="attention-title", classes="title", markup=False)
        yield PagedTable(
            ATTENTION_COLUMNS,
            self._attention_page,
            noun="items",
            id="attention",
            narrow=ATTENTION_NARROW,
            fill=True,
            load=False,
        )

    def on_mount(self) -> None:
        self._load()

    def action_refresh(self) -> None:
        self._load()

    def _load(self) -> None:
        """Everything the screen shows, read in two workers (SQLite lets go of the
        interpreter while it reads, so one runs while the other waits) and shown at once
        when both are in: one layout and one frame instead of one per part, no part's
        frame contending with the other part's read."""
        self._reading += 1
        self._parts = {}
        self._read_figures(self._reading)
        self._read_attention(self._reading, self.query_one(PagedTable).page_size)

    @work(thread=True, exit_on_error=False, group="overview-figures")
    def _read_figures(self, reading: int) -> None:
        door = self.ctx.door
        figures = Figures(door.receivables(), door.received())
        run = door.next_run(limit=SHOWN_RUN_ITEMS)
        self.app.call_from_thread(self._arrived, reading, "figures", (figures, run))

    @work(thread=True, exit_on_error=False, group="overview-attention")
    def _read_attention(self, reading: int, size: int) -> None:
        page = self._attention_page(0, size)
        self.app.call_from_thread(self._arrived, reading, "attention", page)

    def _arrived(self, reading: int, part: str, value: object) -> None:
        if reading != self._reading:
            return  # a refresh began since
        self._parts[part] = value
        if len(self._parts) < 2:
            return
        figures, run = cast(tuple[Figures, NextRun], self._parts["figures"])
        with self.app.batch_update():
            self._show_figures(figures)
            self._show_next_run(run)
            self.query_one(PagedTable).show_page(cast(TablePage, self._parts["attention"]))

    # -- figures -----------------------------------------------------------------------------

    def _show_figures(self, figures: Figures) -> None:
        fmt, rec = self.ctx.fmt, figures.receivables
        head = join(
            ("Owed ", "bold"),
            (fmt.money(rec.owed), "bold"),
            f" ({rec.open_count}) · overdue ",
            (fmt.money(rec.overdue), "bold red" if rec.overdue else "bold"),
            f" ({rec.overdue_count})",
        )
        panel = self.query_one("#receivables", Static)
        panel.border_title = f"Receivables as of {fmt.date(rec.as_of)}"
        ages = Table(box=None, expand=True, show_header=True, padding=(0, 1), pad_edge=False)
        for bucket in rec.buckets:
            ages.add_column(Text(bucket.label, style="dim"), justify="right", ratio=1)
        ages.add_row(
            *(
                Text(f"{fmt.money(b.amount)} ({b.count})", style="bold" if b.amount else "dim")
                for b in rec.buckets
            )
        )
        panel.update(Group(head, ages))
        got = figures.received
        self.query_one("#received", Static).update(
            join(
                f"since {fmt.date(got.since)}\n",
                (fmt.money(got.amount), "bold green"),
                f"\n{got.count} payments",
            )
        )

    # -- next run ----------------------------------------------------------------------------

    def on_resize(self) -> None:
        if self._run is not None:
            self._show_next_run(self._run)

    def _show_next_run(self, run: NextRun) -> None:
        self._run = run
        fmt = self.ctx.fmt
        panel = self.query_one("#next-run", Static)
        room = panel.content_size.width or 10_000  # not laid out yet: as if it all fits
        if run.day is None:
            panel.update(join(("Next run", "bold"), ": nothing is scheduled"))
            return
        text = join(
            ("Next run", "bold"),
            f" {fmt.date(run.day)}: issues {run.generate} ({fmt.money(run.generate_amount)}),"
            f" charges {run.charge} ({fmt.money(run.charge_amount)})",
        )
        for item in run.items:
            line = join("\n  ", (item.client, "bold"), f" · {item.what} · {fmt.money(item.amount)}")
            if item.card:
                when = "now" if item.charge else fmt.date(item.charge_on)
                card = f"{item.card} {when}"
                # The card on a line of its own where it would wrap (80 columns).
                fits = line.cell_len - 1 + 3 + len(card) <= room
                line.append(" · " if fits else "\n    ")
                line.append(visible(card))
            text.append_text(line)
        more = run.generate + run.charge - len(run.items)
        if more > 0:
            text.append(f"\n  … and {more} more", style="dim")
        for error in run.errors[:1]:
            text.append(f"\n  {error}", style="red")
        panel.update(text)

    # -- needs attention ---------------------------------------------------------------------

    def _attention_page(self, offset: int, limit: int) -> TablePage:
        """A page of the items (the newest ATTENTION_PER_KIND of each kind, in kind order;
        n and p page through them), the summary counting every one."""
        found: Attention = self.ctx.door.attention(limit=ATTENTION_PER_KIND)
        rows: list[tuple[str, list[Cell]]] = []
        for n, item in enumerate(found.items[offset : offset + limit], offset):
            why = join((item.reason, ""), " → ", (item.next_step, "dim"))
            cells: list[Cell] = [item.label, item.client, item.subject, why]
            rows.append((f"{n}:{item.client_id or ''}", cells))
        counts = ", ".join(f"{KINDS[k].lower()} {n}" for k, n in found.counts.items() if n)
        summary = f"{found.total} to look at: {counts}" if found.total else "Nothing needs you."
        return TablePage(rows, offset, len(found.items), summary=summary)

    @on(PagedTable.Loaded, "#attention")
    def _title_the_page(self, event: PagedTable.Loaded) -> None:
        """More than a page listed: which part is shown goes in the title, where the
        summary's counts (one line, cut at 80 columns) leave it room."""
        page, title = event.page, "Needs attention"
        if page.total > len(page.rows) or page.offset:
            last = page.offset + len(page.rows)
            title += f" · {page.offset + 1}–{last} of {page.total} listed"
        self.query_one("#attention-title", Static).update(title)

    @on(PagedTable.Selected, "#attention")
    def _open(self, event: PagedTable.Selected) -> None:
        client = event.key.partition(":")[2]
        if client:
            self.post_message(OpenClient(int(client)))
        else:
            self.notify("That item is not about one client.", markup=False)
