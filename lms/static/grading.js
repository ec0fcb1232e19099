// The grading page: the total of the chosen rubric levels, updated as levels are clicked (the
// server recomputes it exactly on save: this is a preview), and J / K for the next / previous
// submission of the queue, ignored while typing in a field. Without JavaScript the page is a form.
const form = document.getElementById("grade-form");
const output = document.getElementById("live-total");
const keys = document.querySelector("[data-grading-keys]");
let dirty = false;

function decimal(text) {
  return Number.parseFloat(String(text || "0").replace(",", "."));
}

// Σ wᵢ·pᵢ/maxᵢ ÷ Σ wᵢ × 100, half-up to two decimals, as lms.grading.services.weighted_score.
function total() {
  let weights = 0;
  let earned = 0;
  for (const criterion of form.querySelectorAll("[data-criterion]")) {
    const chosen = criterion.querySelector("input[type=radio]:checked");
    if (!chosen) { return null; }
    const weight = decimal(criterion.dataset.weight);
    const maximum = decimal(criterion.dataset.max);
    weights += weight;
    if (maximum > 0) { earned += (weight * decimal(chosen.dataset.points)) / maximum; }
  }
  if (weights <= 0) { return null; }
  // Rounded on the hundredths with a nudge against binary fractions (85.005 stays 85.01).
  return Math.round((earned / weights) * 10000 + 1e-7) / 100;
}

function show() {
  const value = total();
  if (value === null) {
    output.textContent = "—";
    output.title = output.dataset.incomplete;
    delete output.dataset.value;
    return;
  }
  const lang = document.documentElement.lang || "id";
  const format = new Intl.NumberFormat(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  output.textContent = format.format(value);
  output.title = "";
  output.dataset.value = value.toFixed(2);
}

if (form && output && form.querySelector("[data-criterion]")) {
  form.addEventListener("change", (event) => {
    if (event.target.matches("input[type=radio]")) { show(); }
  });
  show();
}

if (form) {
  form.addEventListener("input", () => { dirty = true; });
  form.addEventListener("change", () => { dirty = true; });
  form.addEventListener("submit", () => { dirty = false; });
}

// Keys typed into a field are text, never a shortcut (radio buttons and check boxes take none).
function typing(target) {
  return target instanceof Element &&
    target.closest("input:not([type=radio]):not([type=checkbox]), textarea, select, [contenteditable]") !== null;
}

if (keys) {
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    const link = keys.querySelector(`a[data-key="${event.key.toLowerCase()}"]`);
    if (!link) { return; }
    event.preventDefault();
    if (dirty && !window.confirm(keys.dataset.leave)) { return; }
    window.location.assign(link.href);
  });
}
