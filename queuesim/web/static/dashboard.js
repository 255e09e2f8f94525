// queuesim dashboard: plain JavaScript (no build step). It reads the JSON API next to
// this page and follows GET /events (server-sent events) to refresh as jobs move.
// Every piece of job data reaches the page through textContent, never as HTML.

const STATES = [
  { key: "inactive", label: "Queued", color: "var(--inactive)", order: "asc" },
  { key: "active", label: "Active", color: "var(--active)", order: "asc" },
  { key: "failed", label: "Failed", color: "var(--failed)", order: "desc" },
  { key: "complete", label: "Complete", color: "var(--complete)", order: "desc" },
  { key: "delayed", label: "Delayed", color: "var(--delayed)", order: "asc" },
];
const PAGE_SIZE = 20;
const MAX_RANK = 10000; // the API's deepest rank over every queue
const PRIORITY_NAMES = { 10: "low", 0: "normal", "-5": "medium", "-10": "high", "-15": "critical" };
const TOKEN_KEY = "queuesim-dashboard-token";
const FALLBACK_REFRESH_MS = 10000;

const $ = (id) => document.getElementById(id);
const view = { state: "active", type: "", page: 0, order: "", job: null, jobType: null };
let stats = null;
let workers = [];
let lastEventAt = 0;

// ------------------------------------------------------------------ small helpers
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "on") for (const [name, fn] of Object.entries(value)) el.addEventListener(name, fn);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) el.append(child);
  }
  return el;
}

function apiUrl(path) {
  return new URL(path, document.baseURI);
}

function stateInfo(key) {
  return STATES.find((s) => s.key === key) || STATES[1];
}

function priorityName(p) {
  return PRIORITY_NAMES[String(p)] || null;
}

function fmtMs(ms) {
  if (ms === null || ms === undefined) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
  if (ms < 3600000) return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
  return `${Math.floor(ms / 3600000)} h ${Math.round((ms % 3600000) / 60000)} min`;
}

function fmtAgo(ms) {
  if (!ms) return "–";
  const diff = Date.now() - ms;
  const future = diff < 0;
  const d = Math.abs(diff);
  let text;
  if (d < 1500) return future ? "now" : "just now";
  if (d < 60000) text = `${Math.round(d / 1000)} s`;
  else if (d < 3600000) text = `${Math.round(d / 60000)} min`;
  else if (d < 86400000) text = `${Math.round(d / 3600000)} h`;
  else return new Date(ms).toLocaleString();
  return future ? `in ${text}` : `${text} ago`;
}

function pad(n, width = 2) {
  return String(n).padStart(width, "0");
}

function fmtClock(ms) {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

function fmtTime(ms) {
  if (!ms) return "–";
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${fmtClock(ms)}`;
}

function timeEl(ms, text) {
  if (!ms) return h("span", { text: "–" });
  return h("time", { datetime: new Date(ms).toISOString(), title: fmtTime(ms), text: text ?? fmtAgo(ms) });
}

// Live updates redraw lists; whoever was on a button keeps the focus on its redrawn twin.
function focusKey(el) {
  return el.dataset.focus || el.getAttribute("aria-label");
}

function keepFocus(container, redraw) {
  const active = document.activeElement;
  const key = active && active !== container && container.contains(active) ? focusKey(active) : null;
  redraw();
  if (key) {
    const twin = [...container.querySelectorAll("[data-focus], [aria-label]")].find((el) => focusKey(el) === key);
    if (twin) twin.focus({ preventScroll: true });
  }
}

function preview(value, max = 90) {
  if (value === undefined) return "";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function pretty(value) {
  return JSON.stringify(value, null, 2);
}

function progressBar(pct, state, label) {
  const bar = h("div", {
    class: `progress${state === "complete" ? " done" : ""}${state === "failed" ? " bad" : ""}`,
    role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": pct, "aria-label": label,
  }, h("span"));
  bar.firstChild.style.width = `${pct}%`;
  return bar;
}

function toast(message, kind = "info") {
  const el = h("div", { class: `toast${kind === "error" ? " error" : ""}`, text: message });
  $("toasts").append(el);
  setTimeout(() => el.remove(), kind === "error" ? 7000 : 3500);
}

function setBanner(message) {
  const banner = $("banner");
  banner.hidden = !message;
  banner.textContent = message || "";
}

function setLive(state, text) {
  const live = $("live");
  live.dataset.state = state;
  live.querySelector(".live-text").textContent = text;
}

// ------------------------------------------------------------------ talking to the API
class ApiFailure extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function withType(path, type) {
  return type ? `${path}?type=${encodeURIComponent(type)}` : path;
}

async function call(method, path, retried = false) {
  const headers = { Accept: "application/json" };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token && method !== "GET") headers.Authorization = `Bearer ${token}`;
  const response = await fetch(apiUrl(path), { method, headers, cache: "no-store" });
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (response.status === 401 && !retried && (await askToken())) return call(method, path, true);
  if (!response.ok) {
    const message = (body && (body.error || body.detail)) || `${response.status} ${response.statusText}`;
    throw new ApiFailure(response.status, message);
  }
  return body;
}

function askToken() {
  const dialog = $("token-dialog");
  const input = $("token-input");
  input.value = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      const ok = dialog.returnValue === "ok" && input.value.trim() !== "";
      if (ok) sessionStorage.setItem(TOKEN_KEY, input.value.trim());
      resolve(ok);
    }, { once: true });
    dialog.showModal();
    input.focus();
  });
}

function confirmRemove(job) {
  const dialog = $("confirm");
  $("confirm-text").textContent = `Job #${job.id} of queue “${job.type}” will be deleted with its log. This cannot be undone.`;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.returnValue = "cancel";
    dialog.showModal();
  });
}

// ------------------------------------------------------------------ the address bar holds the view
function readLocation() {
  const last = location.pathname.split("/").pop();
  const params = new URLSearchParams(location.search);
  view.state = STATES.some((s) => s.key === last) ? last : "active"; // Kue: "/" shows active jobs
  view.type = params.get("type") || "";
  view.page = Math.max(0, parseInt(params.get("page") || "0", 10) || 0);
  view.order = params.get("order") === "asc" || params.get("order") === "desc" ? params.get("order") : "";
  view.job = params.get("job");
  view.jobType = params.get("job_type") || view.type || null;
}

function viewUrl(changes = {}) {
  const next = { ...view, ...changes };
  const params = new URLSearchParams();
  if (next.type) params.set("type", next.type);
  if (next.page) params.set("page", String(next.page));
  if (next.order) params.set("order", next.order);
  if (next.job) {
    params.set("job", next.job);
    if (next.jobType && next.jobType !== next.type) params.set("job_type", next.jobType);
  }
  const query = params.toString();
  return apiUrl(`${next.state}${query ? `?${query}` : ""}`);
}

function go(changes, { replace = false } = {}) {
  const url = viewUrl(changes);
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  readLocation();
  render();
  return refresh();
}

function currentOrder() {
  return view.order || stateInfo(view.state).order;
}

// ------------------------------------------------------------------ rendering
function countsFor(type) {
  if (!stats) return null;
  if (!type) return stats;
  return stats.queues[type] || { inactiveCount: 0, activeCount: 0, failedCount: 0, completeCount: 0, delayedCount: 0 };
}

function renderStates() {
  const counts = countsFor(view.type);
  const nav = $("state-nav");
  keepFocus(nav, () => nav.replaceChildren(...STATES.map((s) => {
    const n = counts ? counts[`${s.key}Count`] : null;
    const link = h("a", {
      href: viewUrl({ state: s.key, page: 0, order: "", job: null }).href,
      "aria-current": s.key === view.state ? "page" : null,
      "aria-label": n === null ? `${s.label}: loading` : `${s.label}: ${n} ${n === 1 ? "job" : "jobs"}`,
      dataset: { state: s.key, focus: `state-${s.key}` },
    }, h("span", { class: "swatch", "aria-hidden": "true" }), h("span", { text: s.label }),
    h("span", { class: "count", text: n ?? "…", "aria-hidden": "true" }));
    link.style.setProperty("--swatch", s.color);
    link.addEventListener("click", (event) => {
      event.preventDefault();
      go({ state: s.key, page: 0, order: "", job: null });
    });
    return h("li", {}, link);
  })));
}

function timingTable(name, q) {
  if (!q.wait.count) return h("p", { class: "queue-note", text: "No complete jobs yet to time." });
  const row = (label, p) => h("tr", {}, h("th", { scope: "row", text: label }),
    h("td", { text: fmtMs(p.p50) }), h("td", { text: fmtMs(p.p90) }), h("td", { text: fmtMs(p.p99) }));
  return h("table", { class: "timing", "aria-label": `Timings of queue ${name}, last ${q.wait.count} complete jobs` },
    h("thead", {}, h("tr", {}, h("th", { scope: "col", text: `last ${q.wait.count}` }),
      h("th", { scope: "col", text: "p50" }), h("th", { scope: "col", text: "p90" }), h("th", { scope: "col", text: "p99" }))),
    h("tbody", {}, row("wait", q.wait), row("run", q.processing)));
}

function renderQueues() {
  const names = stats ? Object.keys(stats.queues) : [];
  const select = $("queue-filter");
  const options = [...new Set([...names, ...(view.type ? [view.type] : [])])].sort();
  if (select.dataset.options !== JSON.stringify(options)) { // rebuilt only when queues come or go
    select.dataset.options = JSON.stringify(options);
    select.replaceChildren(h("option", { value: "", text: "All queues" }),
      ...options.map((n) => h("option", { value: n, text: n })));
  }
  select.value = view.type;
  $("no-queues").hidden = names.length > 0;
  keepFocus($("queue-list"), () => $("queue-list").replaceChildren(...names.map((name) => {
    const q = stats.queues[name];
    const toggle = h("button", {
      type: "button", class: "btn btn-small", text: q.paused ? "Resume" : "Pause",
      "aria-label": `${q.paused ? "Resume" : "Pause"} queue ${name}`,
      dataset: { focus: `pause-${name}` }, // the focus stays on it when it turns into Resume
      on: { click: () => setPaused(name, !q.paused) },
    });
    return h("li", { class: "queue-item", dataset: { queue: name } },
      h("div", { class: "queue-head" },
        h("button", {
          type: "button", class: "queue-name", text: name, "aria-label": `Show jobs of queue ${name}`,
          on: { click: () => go({ type: name, page: 0, job: null }) },
        }),
        q.paused ? h("span", { class: "paused", text: "paused" }) : null,
        toggle),
      h("div", { class: "queue-counts" },
        h("span", {}, h("b", { text: q.inactiveCount }), "queued"),
        h("span", {}, h("b", { text: q.activeCount }), "active"),
        h("span", { class: q.failedCount ? "failed-count" : null }, h("b", { text: q.failedCount }), "failed"),
        h("span", {}, h("b", { text: q.completeCount }), "done")),
      timingTable(name, q));
  })));
}

// The live workers (GET /workers: the registry their heartbeats keep): who runs what, since when.
function renderWorkers() {
  $("no-workers").hidden = workers.length > 0;
  keepFocus($("worker-list"), () => $("worker-list").replaceChildren(...workers.map((w) => {
    const running = w.jobs.map((job) => h("button", {
      type: "button", class: "worker-job", text: `#${job.id}`, title: `running since ${fmtClock(job.started_at)}`,
      "aria-label": `Open job ${job.id} of queue ${w.queue}, running for ${fmtAgo(job.started_at)}`,
      dataset: { focus: `worker-${w.id}-${job.id}` },
      on: { click: () => openJob(w.queue, job.id) },
    }));
    return h("li", { class: "worker-item", dataset: { worker: w.id, state: w.state } },
      h("div", { class: "worker-head" },
        h("span", { class: "worker-name", text: w.id, title: `${w.host}, pid ${w.pid}, ${w.handler}` }),
        h("span", { class: `worker-state state-${w.state}`, text: w.state })),
      h("div", { class: "worker-meta",
        text: `${w.queue} · ${w.jobs.length}/${w.concurrency} ${w.kind} · up ${fmtAgo(w.started_at).replace(" ago", "")}` }),
      h("div", { class: "worker-jobs" }, running.length ? running : h("span", { class: "worker-idle", text: "no job" })),
      h("div", { class: "worker-meta", text: `${w.completed} done, ${w.failed} failed` }));
  })));
}

function infoFor(job) {
  if (job.state === "failed") return { text: job.error || "failed", err: true };
  if (job.state === "complete") return { text: `took ${fmtMs(job.duration)} · result ${preview(job.result, 60)}` };
  if (job.state === "delayed") return { text: `delay ${fmtMs(job.delay)} · ${preview(job.data, 60)}` };
  if (job.error && job.attempts.made > 0) return { text: `last error: ${job.error}`, err: true };
  return { text: preview(job.data) };
}

function jobRow(job) {
  const key = `${job.type}/${job.id}`;
  const name = priorityName(job.priority);
  const info = infoFor(job);
  const buttons = [];
  if (["failed", "complete", "delayed"].includes(job.state)) {
    buttons.push(h("button", {
      type: "button", class: "btn btn-small btn-primary", text: "Retry",
      "aria-label": `Retry job ${job.id} of queue ${job.type}`, on: { click: () => retry(job) },
    }));
  }
  if (job.state !== "active") {
    buttons.push(h("button", {
      type: "button", class: "btn btn-small btn-danger", text: "Remove",
      "aria-label": `Remove job ${job.id} of queue ${job.type}`, on: { click: () => remove(job) },
    }));
  }
  return h("tr", { dataset: { key, state: job.state }, class: view.job === job.id && view.jobType === job.type ? "selected" : null },
    h("td", {}, h("button", {
      type: "button", class: "job-link", text: `#${job.id}`, "aria-label": `Open job ${job.id} of queue ${job.type}`,
      on: { click: () => openJob(job.type, job.id) },
    })),
    h("td", { class: "queue-cell", text: job.type }),
    h("td", {}, h("span", { class: `prio ${name || ""}`, text: name || String(job.priority), title: `priority ${job.priority}` })),
    h("td", { class: "progress-td" }, h("div", { class: "progress-cell" },
      progressBar(job.progress, job.state, `Progress of job ${job.id}`), h("span", { class: "pct", text: `${job.progress}%` }))),
    h("td", { class: "attempts", text: `${job.attempts.made}/${job.attempts.max}` }),
    h("td", { class: "when when-cell" }, timeEl(job.updated_at)),
    h("td", { class: "info-cell" }, h("div", { class: `info${info.err ? " err" : ""}`, text: info.text, title: info.text })),
    h("td", {}, h("div", { class: "row-actions" }, buttons)));
}

function renderJobs(jobs, total) {
  const s = stateInfo(view.state);
  const heading = $("jobs-heading");
  heading.replaceChildren(`${s.label} jobs `, h("span", { class: "sub", text: `· ${view.type || "all queues"}` }));
  $("order").value = currentOrder();
  keepFocus($("job-rows"), () => $("job-rows").replaceChildren(...jobs.map(jobRow)));
  const empty = $("empty");
  empty.hidden = jobs.length > 0;
  empty.textContent = view.page > 0 ? "No jobs on this page." : `No ${s.label.toLowerCase()} jobs${view.type ? ` in ${view.type}` : ""}.`;
  const first = view.page * PAGE_SIZE;
  const limit = view.type ? total : Math.min(total, MAX_RANK);
  $("page-info").textContent = total ? `${first + 1}–${Math.min(first + jobs.length, total)} of ${total}` : "0 jobs";
  $("prev").disabled = view.page === 0;
  $("next").disabled = first + PAGE_SIZE >= limit;
}

function fact(label, value) {
  return [h("dt", { text: label }), h("dd", {}, value)];
}

function timelineText(ev) {
  const a = ev.args || [];
  switch (ev.event) {
    case "enqueue": return a[1] ? `as ${a[1]}` : "";
    case "progress": return `${a[0]} %${a[1] !== undefined && a[1] !== null ? ` ${preview(a[1], 60)}` : ""}`;
    case "failed attempt": return `${a[0]} (attempt ${a[1]})`;
    case "failed": return String(a[0] ?? "");
    case "stalled": return `lease lost (${a[0]} stalls)`;
    case "move": return `${a[0]} → ${a[1]}, priority ${a[2]}`;
    case "complete": return a.length ? `result ${preview(a[0], 60)}` : "";
    default: return a.length ? preview(a, 60) : "";
  }
}

function renderDetail(job, log, timeline) {
  $("detail").hidden = false;
  $("content").classList.add("with-detail");
  $("detail-title").textContent = `Job #${job.id} · ${job.type}`;
  const badge = $("detail-state");
  badge.className = `badge ${job.state}`;
  badge.textContent = stateInfo(job.state).label;
  const bar = $("detail-progress");
  bar.setAttribute("aria-valuenow", job.progress);
  bar.className = `progress${job.state === "complete" ? " done" : ""}${job.state === "failed" ? " bad" : ""}`;
  bar.firstChild.style.width = `${job.progress}%`;
  $("detail-progress-text").textContent = `${job.progress} %`;
  $("act-retry").disabled = !["failed", "complete", "delayed"].includes(job.state);
  $("act-remove").disabled = job.state === "active";
  const name = priorityName(job.priority);
  const select = $("priority-select");
  // a live redraw must not undo a choice the user is making: set it only when the job or its priority changes
  const shown = `${job.type}/${job.id}/${job.priority}`;
  if (select.dataset.shown !== shown) {
    select.dataset.shown = shown;
    select.value = name || "normal";
  }
  $("act-priority").querySelector("button").disabled = job.state === "active";
  const facts = [
    ...fact("Priority", `${name ? `${name} ` : ""}(${job.priority})`),
    ...fact("Attempts", `${job.attempts.made} of ${job.attempts.max} (${job.attempts.remaining} left)`),
    ...fact("Created", timeEl(job.created_at, fmtTime(job.created_at))),
    ...fact("Updated", timeEl(job.updated_at, fmtTime(job.updated_at))),
  ];
  if (job.started_at) facts.push(...fact("Started", timeEl(job.started_at, fmtTime(job.started_at))));
  if (job.finished_at) facts.push(...fact("Finished", timeEl(job.finished_at, fmtTime(job.finished_at))));
  if (job.failed_at) facts.push(...fact("Failed", timeEl(job.failed_at, fmtTime(job.failed_at))));
  if (job.duration !== null) facts.push(...fact("Duration", fmtMs(job.duration)));
  if (job.delay) facts.push(...fact("Delay", fmtMs(job.delay)));
  if (job.ttl) facts.push(...fact("TTL", fmtMs(job.ttl)));
  if (job.backoff) facts.push(...fact("Backoff", preview(job.backoff)));
  if (job.remove_on_complete) facts.push(...fact("On completion", "removed"));
  $("detail-facts").replaceChildren(...facts);
  $("detail-error-box").hidden = !job.error;
  $("detail-error").textContent = job.error || "";
  $("detail-trace-box").hidden = !job.stacktrace;
  $("detail-trace").textContent = job.stacktrace || "";
  $("detail-data").textContent = pretty(job.data);
  $("detail-result-box").hidden = job.state !== "complete";
  $("detail-result").textContent = pretty(job.result);
  $("detail-log").replaceChildren(...(log.length ? log.map((line) => h("li", { text: line })) : [h("li", { class: "none", text: "No log lines." })]));
  $("detail-timeline").replaceChildren(...(timeline.length ? timeline.map((ev) => h("li", {},
    h("span", { class: `mark ev-${ev.event.replace(/\s+/g, "-")}`, "aria-hidden": "true" }),
    timeEl(ev.at, fmtClock(ev.at)),
    h("span", { class: "ev", text: ev.event }, " ", h("span", { class: "args", text: timelineText(ev) })),
  )) : [h("li", { class: "none", text: "No events (they may have been trimmed from the stream)." })]));
}

async function closeDetail({ focus = true } = {}) {
  const key = `${view.jobType}/${view.job}`;
  $("detail").hidden = true;
  $("content").classList.remove("with-detail");
  await go({ job: null, jobType: null });
  if (focus) {
    const row = document.querySelector(`tr[data-key="${CSS.escape(key)}"] .job-link`);
    (row || $("jobs-heading")).focus();
  }
}

function render() {
  renderStates();
  if (!view.job) {
    $("detail").hidden = true;
    $("content").classList.remove("with-detail");
  }
}

// ------------------------------------------------------------------ loading
async function loadStats() {
  stats = await call("GET", "stats");
  renderStates();
  renderQueues();
}

async function loadWorkers() {
  workers = (await call("GET", "workers")).workers;
  renderWorkers();
}

async function loadJobs() {
  const counts = countsFor(view.type);
  const total = counts ? counts[`${view.state}Count`] : 0;
  const from = view.page * PAGE_SIZE;
  const to = from + PAGE_SIZE - 1;
  const range = `${view.state}/${from}..${to}/${currentOrder()}`;
  const path = view.type ? `jobs/${encodeURIComponent(view.type)}/${range}` : `jobs/${range}`;
  const jobs = view.type || to < MAX_RANK ? await call("GET", path) : [];
  renderJobs(jobs, total);
}

async function loadDetail() {
  if (!view.job) return;
  const path = `job/${encodeURIComponent(view.job)}`;
  try {
    const [job, log, timeline] = await Promise.all([
      call("GET", withType(path, view.jobType)),
      call("GET", withType(`${path}/log`, view.jobType)),
      call("GET", withType(`${path}/timeline`, view.jobType)),
    ]);
    view.jobType = job.type;
    renderDetail(job, log, timeline);
  } catch (error) {
    if (error.status === 404) {
      toast(`Job #${view.job} no longer exists.`);
      closeDetail({ focus: false });
      return;
    }
    if (error.status === 409) {
      toast(`${error.message}. Pick a queue first.`, "error");
      closeDetail({ focus: false });
      return;
    }
    throw error;
  }
}

let running = null;
let again = false;
let detailWanted = false;

async function refreshOnce() {
  const detail = detailWanted;
  detailWanted = false;
  try {
    await loadStats();
    await loadWorkers();
    await loadJobs();
    if (detail) await loadDetail();
    if ($("live").dataset.state !== "down") setBanner(null);
  } catch (error) {
    setBanner(`Could not load the dashboard data: ${error.message}`);
  }
}

// One refresh at a time; a request for one while it runs makes it run once more.
// The open job is reloaded only when asked (its own events, an action, a navigation).
function refresh({ detail = true } = {}) {
  detailWanted = detailWanted || detail;
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    do {
      again = false;
      await refreshOnce();
    } while (again);
    running = null;
  })();
  return running;
}

let timer = null;
let timerDetail = false;
function scheduleRefresh(detail) {
  timerDetail = timerDetail || detail;
  if (timer) return;
  timer = setTimeout(() => {
    timer = null;
    const wanted = timerDetail;
    timerDetail = false;
    refresh({ detail: wanted });
  }, 200);
}

// ------------------------------------------------------------------ actions
async function openJob(type, id) {
  await go({ job: String(id), jobType: type });
  if ($("detail").hidden) return;
  const narrow = window.matchMedia("(max-width: 1180px)").matches;
  if (narrow) $("detail").scrollIntoView({ block: "start" });
  $("detail-title").focus({ preventScroll: !narrow });
}

async function act(work, success) {
  try {
    await work();
    toast(success);
  } catch (error) {
    toast(error.message, "error");
  }
  await refresh();
}

function retry(job) {
  return act(() => call("POST", withType(`job/${job.id}/requeue`, job.type)), `Job #${job.id} is queued again.`);
}

async function remove(job) {
  if (!(await confirmRemove(job))) return;
  try {
    await call("DELETE", withType(`job/${job.id}`, job.type));
    toast(`Job #${job.id} removed.`);
    if (view.job === String(job.id) && view.jobType === job.type) {
      await closeDetail({ focus: false }); // its details are gone with it
      $("jobs-heading").focus();
      return;
    }
  } catch (error) {
    toast(error.message, "error");
  }
  await refresh();
}

function setPaused(name, paused) {
  return act(() => call("POST", `queues/${encodeURIComponent(name)}/${paused ? "pause" : "resume"}`),
    `Queue ${name} ${paused ? "paused" : "resumed"}.`);
}

function setPriority(job, priority) {
  return act(() => call("PUT", withType(`job/${job.id}/priority/${encodeURIComponent(priority)}`, job.type)),
    `Job #${job.id} now has priority ${priority}.`);
}

function detailJob() {
  return { id: view.job, type: view.jobType };
}

// ------------------------------------------------------------------ live updates
function follow() {
  const source = new EventSource(apiUrl("events"));
  source.addEventListener("open", () => setLive("live", "Live"));
  source.addEventListener("hello", (event) => {
    const data = JSON.parse(event.data);
    if (data.redis === "down") setLive("down", "Redis down");
    refresh();
  });
  source.addEventListener("jobs", (event) => {
    lastEventAt = Date.now();
    const events = JSON.parse(event.data);
    const mine = view.job !== null
      && events.some((e) => e.type === view.jobType && (e.id === view.job || e.id === null));
    scheduleRefresh(mine);
  });
  source.addEventListener("status", (event) => {
    const data = JSON.parse(event.data);
    if (data.redis === "down") {
      setLive("down", "Redis down");
      setBanner("Redis is not answering; the dashboard will catch up when it is back.");
    } else {
      setLive("live", "Live");
      setBanner(null);
      scheduleRefresh(true);
    }
  });
  source.addEventListener("error", () => setLive("connecting", "Reconnecting…"));
  // changes made without an event (e.g. pausing a queue in another process) show up within seconds
  setInterval(() => {
    if (document.visibilityState === "visible" && Date.now() - lastEventAt > FALLBACK_REFRESH_MS / 2) refresh();
  }, FALLBACK_REFRESH_MS);
}

// ------------------------------------------------------------------ wiring
function wire() {
  $("queue-filter").addEventListener("change", (event) => go({ type: event.target.value, page: 0 }));
  $("order").addEventListener("change", (event) => go({ order: event.target.value, page: 0 }));
  $("prev").addEventListener("click", () => go({ page: Math.max(0, view.page - 1) }));
  $("next").addEventListener("click", () => go({ page: view.page + 1 }));
  $("find-job").addEventListener("submit", (event) => {
    event.preventDefault();
    const id = $("find-id").value.trim();
    if (/^[0-9]+$/.test(id)) openJob(view.type || null, id);
  });
  $("detail-close").addEventListener("click", () => closeDetail());
  $("act-retry").addEventListener("click", () => retry(detailJob()));
  $("act-remove").addEventListener("click", () => remove(detailJob()));
  $("act-priority").addEventListener("submit", (event) => {
    event.preventDefault();
    setPriority(detailJob(), $("priority-select").value);
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && view.job && !document.querySelector("dialog[open]")) closeDetail();
  });
  window.addEventListener("popstate", () => {
    readLocation();
    render();
    refresh();
  });
}

readLocation();
wire();
render();
follow();
refresh();
