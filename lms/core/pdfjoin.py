"""Join PDF documents into one, streaming: memory is one part's, whatever the number of parts.

A large PDF made by one renderer pass keeps every page's layout in memory until the end (a cohort
of 3,000 results sheets ran WeasyPrint out of 6 GB). Rendered in parts instead, each part is a
small complete PDF; :class:`PdfJoiner` copies each part's pages with every object they reach
(content streams stay encoded, byte for byte) to the output as soon as the part is added, with
new object numbers, and writes the page tree, catalogue and cross-reference table at the end.
What it keeps between parts is one offset per object and one number per page.

A part's document-level objects (outlines, named destinations, metadata) are not copied: links
inside a page still work, bookmarks across parts do not exist.

With ``numbers=True`` the joiner writes each page's number in its bottom-right corner as it copies
the page: parts laid out at the same time (in several processes) cannot know on which page they
start, the joiner does.
"""

from __future__ import annotations

import io
from typing import IO, Any

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

# Attributes a page may inherit from its page-tree parents (PDF 32000-1, 7.7.3.4).
_INHERITED = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")
_PAGES, _CATALOG = 1, 2  # the object numbers reserved for the page tree and the catalogue
_MM = 72 / 25.4
# The page number: 8 pt Helvetica (one of the fonts every PDF reader has, nothing embedded) in
# the grey of the documents' muted text, right-aligned 12 mm from the right edge, 8 mm above the
# bottom: inside the A4 margins of Tolok's PDFs. Helvetica's digits are all 0.556 em wide.
_NUMBER_FONT, _NUMBER_SIZE, _DIGIT = "/TolokPageNumber", 8, 0.556


class PdfJoiner:
    """``add(part)`` each part's bytes in order, then ``close()``; ``out`` receives the file."""

    def __init__(self, out: IO[bytes], *, title: str | None = None, numbers: bool = False) -> None:
        self.out = out
        self.numbers = numbers
        self._font = 0  # the page number's font object, written with the first numbered page
        self._save = 0  # a shared content stream "q": the part's own content runs in its own state
        self.position = 0
        self.offsets: list[int] = [0, 0]  # object number n is at offsets[n - 1]; 1 and 2 come last
        self.kids: list[int] = []
        self.title = title
        self._write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    @property
    def pages(self) -> int:
        return len(self.kids)

    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self.position += len(data)

    def _reserve(self) -> int:
        self.offsets.append(0)
        return len(self.offsets)

    def _emit(self, number: int, obj: Any) -> None:
        buffer = io.BytesIO()
        obj.write_to_stream(buffer)
        self.offsets[number - 1] = self.position
        self._write(b"%d 0 obj\n" % number + buffer.getvalue() + b"\nendobj\n")

    def add(self, part: bytes) -> int:
        """Copy every page of ``part`` (a complete PDF) to the output; returns its page count."""
        reader = PdfReader(io.BytesIO(part))
        mapping: dict[int, int] = {}
        pending: list[tuple[IndirectObject, int]] = []

        def ref(old: IndirectObject) -> IndirectObject:
            new = mapping.get(old.idnum)
            if new is None:
                new = mapping[old.idnum] = self._reserve()
                pending.append((old, new))
            return IndirectObject(new, 0, None)

        def clone(value: Any) -> Any:
            if isinstance(value, IndirectObject):
                return ref(value)
            if isinstance(value, StreamObject):
                stream = StreamObject()
                stream._data = value._data  # the encoded bytes, unchanged
                for key, item in value.items():
                    if key != "/Length":
                        stream[NameObject(key)] = clone(item)
                return stream
            if isinstance(value, DictionaryObject):
                return DictionaryObject({NameObject(key): clone(item) for key, item in value.items()})
            if isinstance(value, ArrayObject):
                return ArrayObject(clone(item) for item in value)
            return value

        count = 0
        for page in reader.pages:
            own = page.indirect_reference
            number = self._reserve()
            if own is not None:
                mapping[own.idnum] = number
            copy = DictionaryObject({NameObject(k): clone(v) for k, v in page.items() if k != "/Parent"})
            parent = page.get("/Parent")
            for key in _INHERITED:
                holder = parent.get_object() if parent is not None else None
                while key not in copy and holder is not None:
                    if key in holder:
                        copy[NameObject(key)] = clone(holder.raw_get(key))
                    holder = holder.get("/Parent")
                    holder = holder.get_object() if holder is not None else None
            copy[NameObject("/Parent")] = IndirectObject(_PAGES, 0, None)
            if self.numbers:
                self._number(copy, page, clone)
            self._emit(number, copy)
            self.kids.append(number)
            count += 1
            while pending:
                old, new = pending.pop()
                self._emit(new, clone(old.get_object()))
        return count

    def _number(self, copy: DictionaryObject, page: Any, clone: Any) -> None:
        """Write this page's number over it: the part's content wrapped in q/Q, then the number, with
        the number's font added to the page's own (copied) resources."""
        if not self._font:
            self._font = self._reserve()
            font = {"/Type": "/Font", "/Subtype": "/Type1", "/BaseFont": "/Helvetica", "/Encoding": "/WinAnsiEncoding"}
            self._emit(self._font, DictionaryObject({NameObject(k): NameObject(v) for k, v in font.items()}))
            self._save = self._reserve()
            self._emit(self._save, _stream(b"q\n"))
        old = page.get("/Resources")
        old = old.get_object() if old is not None else DictionaryObject()
        resources = DictionaryObject({NameObject(k): clone(v) for k, v in old.items() if k != "/Font"})
        old_fonts = old.get("/Font")
        old_fonts = old_fonts.get_object() if old_fonts is not None else DictionaryObject()
        fonts = DictionaryObject({NameObject(k): clone(v) for k, v in old_fonts.items()})
        fonts[NameObject(_NUMBER_FONT)] = IndirectObject(self._font, 0, None)
        resources[NameObject("/Font")] = fonts
        copy[NameObject("/Resources")] = resources
        media = copy.get("/MediaBox")
        box = [float(v) for v in media] if isinstance(media, ArrayObject) else [0, 0, 595.28, 841.89]
        label = str(self.pages + 1)
        x = box[2] - 12 * _MM - len(label) * _DIGIT * _NUMBER_SIZE
        y = box[1] + 8 * _MM
        stamp = self._reserve()
        self._emit(
            stamp,
            _stream(
                b"Q\nq 0.424 0.459 0.49 rg BT %s %d Tf %.2f %.2f Td (%s) Tj ET Q\n"
                % (_NUMBER_FONT.encode(), _NUMBER_SIZE, x, y, label.encode())
            ),
        )
        contents = copy.get("/Contents")
        own = list(contents) if isinstance(contents, ArrayObject) else ([contents] if contents is not None else [])
        copy[NameObject("/Contents")] = ArrayObject(
            [IndirectObject(self._save, 0, None), *own, IndirectObject(stamp, 0, None)]
        )

    def close(self) -> None:
        """The page tree, the catalogue, the cross-reference table and the trailer."""
        pages = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Pages"),
                NameObject("/Kids"): ArrayObject(IndirectObject(n, 0, None) for n in self.kids),
                NameObject("/Count"): NumberObject(len(self.kids)),
            }
        )
        self._emit(_PAGES, pages)
        self._emit(
            _CATALOG,
            DictionaryObject(
                {NameObject("/Type"): NameObject("/Catalog"), NameObject("/Pages"): IndirectObject(_PAGES, 0, None)}
            ),
        )
        info = None
        if self.title:
            info = self._reserve()
            self._emit(
                info,
                DictionaryObject(
                    {
                        NameObject("/Title"): TextStringObject(self.title),
                        NameObject("/Producer"): TextStringObject("Tolok"),
                    }
                ),
            )
        start = self.position
        lines = [b"xref\n0 %d\n" % (len(self.offsets) + 1), b"0000000000 65535 f \n"]
        lines += [b"%010d 00000 n \n" % offset for offset in self.offsets]
        self._write(b"".join(lines))
        trailer = b"trailer\n<< /Size %d /Root %d 0 R" % (len(self.offsets) + 1, _CATALOG)
        if info:
            trailer += b" /Info %d 0 R" % info
        self._write(trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % start)


def _stream(data: bytes) -> StreamObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    return stream
