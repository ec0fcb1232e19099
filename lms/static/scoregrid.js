// Keyboard-first score grid ([data-score-grid]): arrow keys move between cells (left/right only at
// the text's edge), Enter moves down (Shift+Enter up), Ctrl/Cmd+S saves; changed cells are marked,
// and leaving the page with unsaved changes asks first. Without JavaScript the grid is a plain form.
const grid = document.querySelector("[data-score-grid]");
if (grid) {
  const rows = Array.from(grid.querySelectorAll("tbody tr")).map((tr) =>
    Array.from(tr.querySelectorAll("input[name^='s-']")));
  const form = grid.closest("form");
  let dirty = false;

  function focusAt(r, c) {
    if (r < 0 || r >= rows.length) { return; }
    const row = rows[r];
    const cell = row[Math.max(0, Math.min(c, row.length - 1))];
    if (cell) { cell.focus(); cell.select(); }
  }

  rows.forEach((row, r) => row.forEach((input, c) => {
    input.addEventListener("keydown", (event) => {
      const atStart = input.selectionStart === 0 && input.selectionEnd === 0;
      const atEnd = input.selectionStart === input.value.length;
      if (event.key === "ArrowDown" || (event.key === "Enter" && !event.shiftKey)) {
        event.preventDefault(); focusAt(r + 1, c);
      } else if (event.key === "ArrowUp" || (event.key === "Enter" && event.shiftKey)) {
        event.preventDefault(); focusAt(r - 1, c);
      } else if (event.key === "ArrowRight" && atEnd) {
        event.preventDefault();
        if (c + 1 < row.length) { focusAt(r, c + 1); } else { focusAt(r + 1, 0); }
      } else if (event.key === "ArrowLeft" && atStart) {
        event.preventDefault();
        if (c > 0) { focusAt(r, c - 1); } else { focusAt(r - 1, Number.MAX_SAFE_INTEGER); }
      }
    });
    input.addEventListener("input", () => {
      const original = form.querySelector(`input[name='o-${input.name.slice(2)}']`);
      const changed = !original || original.value !== input.value.trim();
      input.classList.toggle("border-primary", changed);
      dirty = true;
    });
  }));

  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s" && form) {
      event.preventDefault(); dirty = false; form.requestSubmit();
    }
  });
  if (form) {
    form.addEventListener("submit", () => { dirty = false; });
    window.addEventListener("beforeunload", (event) => { if (dirty) { event.preventDefault(); } });
  }
}
