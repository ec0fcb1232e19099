// Keeps every job card ([data-job-status-url]) current without reloading the page: progress bar,
// message, download link and failure reason. Without JavaScript the page shows the state it was
// loaded with, and reloading it shows the latest.
function poll(card) {
  const url = card.dataset.jobStatusUrl;
  let delay = 700;
  const bar = card.querySelector("progress");
  const message = card.querySelector("[data-job-message]");
  const state = card.querySelector("[data-job-state]");
  const download = card.querySelector("[data-job-download]");
  const failed = card.querySelector("[data-job-failed]");
  const error = card.querySelector("[data-job-error]");
  const states = JSON.parse(card.dataset.jobLabels || "{}");

  async function tick() {
    let data;
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) { throw new Error(String(response.status)); }
      data = await response.json();
    } catch (e) {
      delay = Math.min(delay * 2, 10000);
      window.setTimeout(tick, delay);
      return;
    }
    bar.value = data.progress;
    bar.textContent = `${data.progress}%`;
    message.textContent = data.message || "";
    if (states[data.status]) { state.textContent = states[data.status]; }
    card.dataset.jobStatus = data.status;
    download.hidden = !data.downloadable;
    failed.hidden = data.status !== "failed";
    error.textContent = data.error || "";
    if (data.status === "queued" || data.status === "running") {
      delay = Math.min(delay * 1.2, 3000);
      window.setTimeout(tick, delay);
    }
  }

  if (card.dataset.jobStatus === "queued" || card.dataset.jobStatus === "running") {
    window.setTimeout(tick, delay);
  }
}

document.querySelectorAll("[data-job-status-url]").forEach(poll);
