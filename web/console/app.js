// port53 web console: vanilla JS, no dependencies. Talks to the JSON API of the same origin;
// every change carries the session's CSRF token in X-CSRF-Token.
"use strict";

const $ = (id) => document.getElementById(id);
let csrf = null;
let timer = null;
let last = null;  // {t, queries} of the previous overview, for queries/s

function form(fields) {
  return Object.entries(fields)
    .map(([k, v]) => encodeURIComponent(k) + "=" + encodeURIComponent(v)).join("&");
}

async function api(path, options = {}) {
  const init = { credentials: "same-origin", ...options };
  if (init.method === "POST") {
    init.headers = { "Content-Type": "application/x-www-form-urlencoded",
                     "X-CSRF-Token": csrf || "" };
  }
  const res = await fetch(path, init);
  if (res.status === 401 && path !== "/api/login") showLogin();
  return res;
}

function showLogin() {
  csrf = null;
  clearInterval(timer);
  $("app-view").hidden = true;
  $("logout").hidden = true;
  $("login-view").hidden = false;
  $("password").focus();
}

function showApp() {
  $("login-view").hidden = true;
  $("app-view").hidden = false;
  $("logout").hidden = false;
  last = null;
  refresh();
  timer = setInterval(refresh, 2000);
  loadTops();
  searchLog();
  loadViews();
  loadChanges();
  loadProfiles();
}

// Metric name -> [{labels, value}] as /api/overview gives it; the sum, or one label's rows.
const total = (m, name) => (m[name] || []).reduce((s, x) => s + x.value, 0);
const byLabel = (m, name, label) =>
  (m[name] || []).map((x) => [x.labels[label], x.value]).filter(([, v]) => v > 0);

function fillTable(id, rows) {
  const table = $(id);
  table.replaceChildren();
  for (const [k, v] of rows) {
    const tr = table.insertRow();
    tr.insertCell().textContent = k;
    const n = tr.insertCell();
    n.className = "n";
    n.textContent = v.toLocaleString();
  }
  if (!rows.length) table.insertRow().insertCell().textContent = "none yet";
}

const percent = (part, whole) => (whole ? (100 * part / whole).toFixed(1) + " %" : "–");

async function refresh() {
  const res = await api("/api/overview");
  if (!res.ok) return;
  const m = await res.json();
  const now = performance.now();
  const queries = total(m, "port53_queries_total");
  if (last && now > last.t) {
    $("qps").textContent = Math.round((queries - last.queries) * 1000 / (now - last.t))
      .toLocaleString();
  }
  if (last && Math.floor(now / 10000) !== Math.floor(last.t / 10000)) loadTops();
  last = { t: now, queries };
  $("queries").textContent = queries.toLocaleString();
  const hits = byLabel(m, "port53_answer_cache_lookups_total", "result");
  const hit = (hits.find(([k]) => k === "hit") || [0, 0])[1];
  $("hit-ratio").textContent = percent(hit, hits.reduce((s, [, v]) => s + v, 0));
  $("blocked").textContent = percent(total(m, "port53_blocklist_answers_total"), queries);
  $("inflight").textContent = total(m, "port53_inflight_questions").toLocaleString();
  const upstream = total(m, "port53_upstream_queries_total");
  $("upstream").textContent = upstream.toLocaleString();
  const answered = total(m, "port53_upstream_response_seconds_count");
  const mean = answered ? (1000 * total(m, "port53_upstream_response_seconds_sum") / answered)
    .toFixed(1) + " ms" : "–";
  $("upstream-health").textContent =
    percent(total(m, "port53_upstream_timeouts_total"), upstream) + " / " + mean;
  const lat = await api("/api/latency");
  if (lat.ok) {
    const l = await lat.json();
    const ms = (us) => (us / 1000).toFixed(us < 10000 ? 2 : 0);
    $("latency").textContent = l.n ? ms(l.p50_us) + " / " + ms(l.p99_us) + " ms" : "–";
  }
  fillTable("rcodes", byLabel(m, "port53_answers_by_rcode_total", "rcode"));
  fillTable("validation", byLabel(m, "port53_validation_total", "result"));
  fillTable("ede", byLabel(m, "port53_answers_by_ede_total", "code"));
}

const TOPS = ["names", "blocked", "clients", "refused", "rate_limited", "tunnel_suspects",
              "bogus"];

async function loadTops() {
  const period = $("period").value;
  await Promise.all(TOPS.map(async (kind) => {
    const res = await api("/api/top?" + form({ kind, period, n: 10 }));
    if (res.ok) fillTable("top-" + kind, (await res.json()).map((c) => [c.key, c.n]));
  }));
}

async function searchLog() {
  const res = await api("/api/log?" + form({
    q: $("log-q").value, rcode: $("log-rcode").value,
    type: $("log-type").value.trim().toUpperCase(), blocked: $("log-blocked").value, limit: 50 }));
  if (!res.ok) return;
  const table = $("log");
  table.replaceChildren();
  const head = table.insertRow();
  for (const h of ["time", "client", "name", "type", "answer", ""]) {
    head.insertCell().textContent = h;
  }
  for (const e of await res.json()) {
    const tr = table.insertRow();
    tr.insertCell().textContent = new Date(e.time * 1000).toLocaleTimeString();
    for (const v of [e.client, e.name, e.type, e.rcode]) tr.insertCell().textContent = v;
    tr.insertCell().textContent = e.blocked ? "blocked" : e.cache_hit ? "cached" : "";
  }
}

async function loadViews() {
  const res = await api("/api/views");
  if (!res.ok) return;
  const views = await res.json();
  const table = $("views");
  table.replaceChildren();
  for (const v of views) {
    const tr = table.insertRow();
    tr.insertCell().textContent = v.name;
    tr.insertCell().textContent = [...v.clients, ...v.listeners, ...v.doh_paths].join(", ");
    tr.insertCell().textContent = `${v.local_records} local records, ${v.blocked_names} ` +
      `blocked names, ${v.forward_zones} forward and ${v.stub_zones} stub zones` +
      (v.inherit ? ", inherits the rest" : "");
  }
  if (!views.length) table.insertRow().insertCell().textContent = "no views configured";
}

// A table of items, each with a button that posts `path` with {key: item, ...extra}.
function fillActions(id, items, button, path, key, extra = {}) {
  const table = $(id);
  table.replaceChildren();
  for (const item of items) {
    const tr = table.insertRow();
    tr.insertCell().textContent = item;
    const b = document.createElement("button");
    b.textContent = button;
    b.addEventListener("click", () => change(path, { [key]: item, ...extra }));
    tr.insertCell().append(b);
  }
  if (!items.length) table.insertRow().insertCell().textContent = "none";
}

async function loadChanges() {
  const res = await api("/api/changes");
  if (!res.ok) return;
  const c = await res.json();
  fillActions("blocked-names", c.block, "Remove", "/api/unlist", "name");
  fillActions("allowed-names", c.allow, "Remove", "/api/unlist", "name");
  fillActions("local-records", c.local_data, "Remove", "/api/local/remove", "record");
  const lists = $("lists");
  lists.replaceChildren();
  for (const [name, on] of [...c.lists_on.map((l) => [l, true]),
                            ...c.lists_off.map((l) => [l, false])]) {
    const tr = lists.insertRow();
    tr.insertCell().textContent = name;
    tr.insertCell().textContent = on ? "on" : "off";
    const b = document.createElement("button");
    b.textContent = on ? "Turn off" : "Turn on";
    b.addEventListener("click", () => change("/api/list", { list: name, on: on ? "0" : "1" }));
    tr.insertCell().append(b);
  }
  if (!lists.rows.length) lists.insertRow().insertCell().textContent = "no lists configured";
}

// A change to the configuration: applied at once (a reload) and kept across restarts.
async function change(path, fields) {
  $("names-error").textContent = "";
  const res = await api(path, { method: "POST", body: form(fields) });
  if (!res.ok) $("names-error").textContent = (await res.json()).error;
  await loadChanges();
  return res.ok;
}

function addLine(parent, label, text, href) {
  const p = document.createElement("p");
  p.append(label + " ");
  const el = document.createElement(href ? "a" : "code");
  el.textContent = text;
  if (href) el.href = href;
  p.append(el);
  parent.append(p);
}

async function loadProfiles() {
  const box = $("profiles");
  box.replaceChildren();
  const res = await api("/api/profiles");
  const body = await res.json();
  if (!res.ok) {
    box.textContent = body.error;
    return;
  }
  if (body.doh_url) {
    addLine(box, "DoH URL:", body.doh_url);
    addLine(box, "iPhone, iPad, Mac (DoH):", "port53-doh.mobileconfig",
            "/api/profiles/apple.mobileconfig");
  }
  if (body.dot_host) {
    addLine(box, "Android Private DNS host name:", body.android_private_dns);
    addLine(box, "iPhone, iPad, Mac (DoT):", "port53-dot.mobileconfig",
            "/api/profiles/apple.mobileconfig?protocol=tls");
  }
  addLine(box, "Firefox policies.json:", JSON.stringify(body.firefox.policies));
  addLine(box, "Chromium policy:", JSON.stringify(body.chromium_policy));
}

$("login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("login-error").textContent = "";
  const res = await api("/api/login", { method: "POST",
                                        body: form({ password: $("password").value }) });
  $("password").value = "";
  if (res.ok) {
    csrf = (await res.json()).csrf;
    showApp();
  } else {
    $("login-error").textContent = res.status === 429
      ? "Too many failed logins: wait a minute." : "Wrong password.";
  }
});

$("logout").addEventListener("click", async () => {
  await api("/api/logout", { method: "POST", body: "" });
  showLogin();
});

$("lookup-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const res = await api("/api/lookup?" + form({ name: $("lookup-name").value }));
  $("cache-out").textContent = res.ok ? await res.text() : (await res.json()).error;
});

$("flush").addEventListener("click", async () => {
  const res = await api("/api/flush", { method: "POST", body: form({
    name: $("lookup-name").value, zone: $("flush-zone").checked ? "1" : "0" }) });
  $("cache-out").textContent = res.ok ? await res.text() : (await res.json()).error;
});

$("period").addEventListener("change", loadTops);

$("log-form").addEventListener("submit", (e) => {
  e.preventDefault();
  searchLog();
});

$("names-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  if (await change("/api/block", { name: $("names-name").value })) $("names-name").value = "";
});

$("allow").addEventListener("click", async () => {
  if (await change("/api/allow", { name: $("names-name").value })) $("names-name").value = "";
});

$("local-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  if (await change("/api/local", { record: $("local-record").value })) {
    $("local-record").value = "";
  }
});

(async () => {
  const res = await fetch("/api/session", { credentials: "same-origin" });
  if (res.ok) {
    csrf = (await res.json()).csrf;
    showApp();
  } else {
    showLogin();
  }
})();
