"""What plugins hand to the core: frozen dataclasses that the core renders."""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask import url_for
from sqlalchemy.orm import Session

from lms.core.urls import fixed_url


@dataclass(frozen=True)
class NavItem:
    """A menu entry; shown only when ``rule`` (an access rule name) allows the user."""

    label: Any
    endpoint: str
    order: int = 50
    rule: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict)

    def url(self) -> str:
        return url_for(self.endpoint, **dict(self.values)) if self.values else fixed_url(self.endpoint)


@dataclass(frozen=True)
class DashboardWidget:
    """A card on the dashboard: ``template`` is rendered with ``context``."""

    title: Any
    template: str
    context: Mapping[str, Any] = field(default_factory=dict)
    order: int = 50


@dataclass(frozen=True)
class CohortTab:
    """A tab on a cohort's page, linking to a plugin view for that cohort."""

    key: str
    label: Any
    endpoint: str
    order: int = 50
    count: int | None = None

    def url(self, cohort_id: int) -> str:
        return url_for(self.endpoint, cohort_id=cohort_id)


@dataclass(frozen=True)
class SubmissionKind:
    """A kind of gradable work: how a participant writes it and how graders see it.

    ``write_endpoint`` is called with ``assessment_id``; ``template`` renders one submission for
    graders and for the participant (it gets ``submission``, and ``shown``: what ``load`` gave for it).
    ``load(session, submission_ids)`` is the kind's batch loader: called once per page with every
    submission the page shows, it answers ``{submission_id: data}`` in a fixed number of queries, so
    a kind's template never queries (no app-wide template global that loads per row).
    ``titles(session, submission_ids)`` names each piece of work where it has a name of its own (a
    practice's title): shown instead of "submission 2" in lists, notifications, e-mails and exports;
    one query for all of them, as ``load``.
    ``graded_elsewhere()`` is a SQL select of the ids of this kind's assessments whose submissions
    are not graded one by one (another submission holds and grades them: the benchmarking visit
    whose individual report is one submission): the grading queue leaves them out unless it is
    filtered by that assessment.
    """

    key: str
    label: Any
    write_endpoint: str
    template: str
    load: Callable[[Session, list[int]], Mapping[int, Any]] | None = None
    titles: Callable[[Session, list[int]], Mapping[int, str]] | None = None
    graded_elsewhere: Callable[[], Any] | None = None


@dataclass(frozen=True)
class ResultColumn:
    """One column a plugin adds to a cohort's result table, for every participant at once.

    ``values`` maps participant (user) id to the cell: a number, a text, or None for "nothing yet"
    (shown as such, never as 0). ``kind`` is "number" (counts), "score" (0–100, two decimals) or "text".
    ``source`` names a :class:`ResultSource` the column's scores feed (a "score" column only): a
    program's result component built from that source takes the mean of every column that names it.
    """

    key: str
    label: Any
    values: Mapping[int, Any]
    kind: str = "number"
    order: int = 50
    source: str | None = None


_NOTHING = -(2**63)  # a packed cell without a value (None)


class PackedValues(Mapping[int, Any]):
    """A :class:`ResultColumn`'s ``values`` for a whole cohort in two arrays of 8-byte integers:
    the participant ids (sorted, shared by a plugin's columns) and their cells. A dict of 3,000
    peserta costs ~150 KB per column plus a ``Decimal`` per score; this costs 8 bytes a cell, so
    that a large cohort's export does not hold a dict per column while it streams.

    Counts (``kind="number"``) are kept as they are; scores (``kind="score"``) as hundredths
    (two places, as :func:`lms.core.scores.half_up` gives them) and read back as the same
    ``Decimal`` (``87.50``). ``fill``: every id's cell until :meth:`put` (0 for a count, None).
    """

    __slots__ = ("_cells", "_ids", "_score")

    def __init__(self, ids: array[int], kind: str = "number", fill: int | None = None) -> None:
        self._ids = ids
        self._score = kind == "score"
        self._cells = array("q", [_NOTHING if fill is None else fill]) * len(ids)

    def index(self, pid: int) -> int | None:
        """The position of ``pid`` in the ids (None: not one of them)."""
        i = bisect_left(self._ids, pid)
        return i if i < len(self._ids) and self._ids[i] == pid else None

    def put(self, i: int, value: int | Decimal | None) -> None:
        """The cell at position ``i`` (:meth:`index`)."""
        if value is None:
            self._cells[i] = _NOTHING
        elif self._score:
            if not isinstance(value, Decimal) or value.as_tuple().exponent != -2:
                raise ValueError(f"a packed score is a Decimal of two places (half_up): {value!r}")
            self._cells[i] = int(value.scaleb(2))
        else:
            self._cells[i] = int(value)

    def get(self, pid: Any, default: Any = None) -> Any:
        i = bisect_left(self._ids, pid)
        if i == len(self._ids) or self._ids[i] != pid:
            return default
        cell = self._cells[i]
        if cell == _NOTHING:
            return None
        return Decimal(cell).scaleb(-2) if self._score else cell

    def __getitem__(self, pid: int) -> Any:
        if self.index(pid) is None:
            raise KeyError(pid)
        return self.get(pid)

    def __iter__(self) -> Iterator[int]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def __repr__(self) -> str:
        return f"PackedValues({dict(self.items())!r})"


def values_reader(columns: Sequence[Mapping[int, Any]]) -> Callable[[int], tuple[Any, ...]]:
    """A function of a participant id giving their cell in each of ``columns`` (what an export
    reads per row). Packed columns that share their ids find the id once for all of them."""
    packed = [c for c in columns if isinstance(c, PackedValues)]
    if not packed or len(packed) != len(columns) or any(c._ids is not packed[0]._ids for c in packed):
        return lambda pid: tuple(c.get(pid) for c in columns)
    ids, size, nothing = packed[0]._ids, len(packed[0]._ids), (None,) * len(packed)
    cells = [(c._cells, c._score) for c in packed]

    def read(pid: int) -> tuple[Any, ...]:
        i = bisect_left(ids, pid)
        if i == size or ids[i] != pid:
            return nothing
        return tuple(
            None if (cell := values[i]) == _NOTHING else Decimal(cell).scaleb(-2) if score else cell
            for values, score in cells
        )

    return read


def packed_ids(participant_ids: Iterable[int]) -> array[int]:
    """The distinct ids, sorted, as the array :class:`PackedValues` columns share."""
    ids = array("q", participant_ids)
    if any(ids[i] >= ids[i + 1] for i in range(len(ids) - 1)):
        ids = array("q", sorted(set(ids)))
    return ids


@dataclass(frozen=True)
class ResultSource:
    """A kind of plugin score a program's result component may be built from.

    ``key`` is namespaced by the plugin (``benchmarking.group_report``) and stays the same across
    cohorts, so a program's definition can name it; each cohort's scores arrive through the
    ``source`` of the plugin's :class:`ResultColumn` (one column per visit, say).
    """

    key: str
    label: Any


@dataclass(frozen=True)
class ResultTotal:
    """A cohort-wide total a plugin shows under the results page (the benchmarking funnel): its
    count summed over every participant, and how many participants have more than 0. The plugin
    computes it in SQL (aggregates), not from the page's rows."""

    key: str
    label: Any
    total: Decimal
    people: int
    order: int = 50


@dataclass(frozen=True)
class ResultFilter:
    """A filter a plugin offers on the results page (the benchmarking visit's groups).

    ``choices`` are ``(value, label)`` pairs; ``members(value)`` is a SQL select of the participant
    ids the choice keeps (a subquery the core filters with; never a list of ids).
    """

    key: str
    label: Any
    choices: Sequence[tuple[str, Any]]
    members: Callable[[str], Any]


@dataclass(frozen=True)
class ResultSheet:
    """A sheet a plugin adds to a cohort's XLSX export (the benchmarking *practices*).

    ``headers`` are ``(label, kind)`` pairs with the kinds of :class:`ResultColumn` (and
    ``"datetime"``). ``rows`` are handed over as they come: an iterator of row sequences (a
    generator over a server-side cursor, ``yield_per``) that the core reads once, row by row, after
    the sheets before it are written; never a list of the whole cohort, so that an export's memory
    does not grow with the cohort. A fixed number of queries whatever the size.
    """

    name: Any
    headers: Sequence[tuple[Any, str]]
    rows: Iterable[Sequence[Any]]
    order: int = 50


@dataclass(frozen=True)
class NotificationKind:
    """A kind of notification: what it says, who it is for, how it is delivered unless a person chose.

    ``message`` is a (lazily) translated text with ``%(name)s`` placeholders filled from the
    notification's payload in the recipient's language; ``detail`` names a payload key whose text (a
    note, a reason) is shown below the message. ``default`` is ``"immediate"``, ``"digest"`` or
    ``"off"``; ``audience`` (``"participant"`` or ``"staff"``) groups the preference page.
    ``numbers`` and ``times`` name payload keys the core formats for the recipient (a score as
    ``87,50`` in Indonesian; an ISO time in the app's time zone).

    ``replaces`` is ``(core event, submission kind)``: the core sends this kind instead of its own for
    that event on work of that kind, e.g. ``("work_returned", "benchmarking.practice")``, or
    ``("deadline", "benchmarking.report")`` to take over the deadline reminders of that kind (the
    plugin then sends its own through :func:`lms_reminders`).
    """

    key: str
    label: Any
    message: Any
    default: str = "immediate"
    audience: str = "participant"
    detail: str | None = None
    numbers: tuple[str, ...] = ()
    times: tuple[str, ...] = ()
    replaces: tuple[str, str] | None = None
    order: int = 50


@dataclass(frozen=True)
class Reminder:
    """A notification a plugin wants sent by the periodic reminder job, once per person and ``key``.

    ``key`` names the event (``benchmarking.followup_closing:12:2026-12-01``): the same key is never
    sent twice to one person, so a plugin may return the same reminders on every run.
    ``link`` is a path inside the app (``/benchmarking/...``).
    """

    kind: str
    recipient_ids: Sequence[int]
    payload: Mapping[str, Any]
    link: str
    key: str


@dataclass(frozen=True)
class ParticipantAction:
    """A bulk action a plugin adds to a cohort's participants list (move the ticked to a visit group).

    The confirmation page lists the ticked people and asks for one of ``targets`` (``(value, label)``
    pairs, labelled ``target_label``). The core hands ``apply`` only ids of the cohort's participants:
    when any ticked id is not one, it refuses and nothing is done. ``apply(session, cohort, user_ids,
    target, actor)`` flushes, raises a ``DomainError`` to refuse, and returns how many it changed;
    ``done(count)`` is the message shown then.
    """

    key: str
    label: Any
    target_label: Any
    targets: Sequence[tuple[str, Any]]
    apply: Callable[[Session, Any, list[int], str, Any], int]
    done: Callable[[int], Any]
    order: int = 50


@dataclass(frozen=True)
class ApiPaths:
    """A plugin's part of the OpenAPI document: ``paths`` (keys relative to /api/v1, e.g.
    ``/hosts/{host_id}/implementation``) and the ``schemas`` they refer to as
    ``#/components/schemas/<name>``. The endpoints themselves are the plugin's blueprint, built with
    :func:`lms.plugins.api.api_blueprint` and :func:`lms.plugins.api.token_required`."""

    paths: Mapping[str, Any]
    schemas: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ResultInput:
    """A plugin model whose rows feed a cohort's results (through ``lms_result_columns``,
    ``lms_result_totals`` or ``lms_result_filters``).

    When rows of ``model`` are added, changed or deleted in a flush, the core calls
    ``affected(session, rows)`` once with all of them; it answers ``(cohort id, participant id)``
    pairs whose stored results must be computed again (participant id None: the whole cohort).
    It runs inside the flush: read with ``session.connection()``, never flush or write.

    ``recompute=False``: the rows change only what the plugin shows beside the stored results (its
    columns' values, totals, filters: practices, follow-ups, a host's name), not a score. The core
    then computes nothing again; it only marks the cohort's results as changed, so that a kept
    results page or figures of the cohort are not served again (:mod:`lms.results.page_cache`).
    """

    model: type
    affected: Callable[[Any, Sequence[Any]], Iterable[tuple[int, int | None]]]
    recompute: bool = True
    # A changed row counts only when one of these columns changed (added and deleted rows always
    # count; empty: any change): a draft's autosave, every few seconds, then costs the flush nothing.
    columns: tuple[str, ...] = ()
