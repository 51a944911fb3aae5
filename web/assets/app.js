/* app.js: the web UI of asl serve. Plain JavaScript, no build step.
 * Pages (by path): / machines, /machine?arn= a machine (graph and
 * executions), /execution?arn= an execution (graph coloured by what
 * happened, side panel for the selected state, events; polls while
 * RUNNING). Data comes from the Step Functions API (POST /) and from
 * /ui/graph.svg and /ui/execution.json. Everything from user data is set
 * as text (textContent), never as HTML; the SVG is Graphviz's, which
 * escapes names. */
"use strict";

const PAGE_SIZE = 20;
const POLL_MS = 1000;
const STATUSES = ["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"];
const app = document.getElementById("app");

/* ---- helpers ---- */

/* h("a", {href: x}, "text", child...): an element; strings become text. */
function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "className") e.className = v;
    else e.setAttribute(k, v);
  }
  for (const k of kids.flat()) {
    if (k === undefined || k === null || k === false) continue;
    e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return e;
}

async function api(op, body) {
  const r = await fetch("/", {
    method: "POST",
    headers: {"X-Amz-Target": "AWSStepFunctions." + op,
              "Content-Type": "application/x-amz-json-1.0"},
    body: JSON.stringify(body || {}),
  });
  const j = await r.json();
  if (!r.ok) throw new Error((j.__type || "").split("#").pop() + ": " + j.message);
  return j;
}

async function getJSON(url) {
  const r = await fetch(url);
  const j = await r.json();
  if (!r.ok) throw new Error(j.error + ": " + j.message);
  return j;
}

function date(t) {
  if (t === undefined || t === null) return "";
  const d = new Date(t * 1000);
  return isNaN(d) ? String(t) : d.toISOString().replace("T", " ").replace("Z", "");
}

function pretty(text) {
  if (text === undefined || text === null) return "";
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch (e) { return String(text); }
}

function badge(status) { return h("span", {className: "badge " + status}, status); }
function link(path, arn, text) { return h("a", {href: path + "?arn=" + encodeURIComponent(arn)}, text); }
function param(k) { return new URLSearchParams(location.search).get(k); }
function showError(where, err) { where.append(h("div", {className: "error"}, String(err.message || err))); }

/* The state name of an SVG node id "st-<hex of UTF-8 bytes>". */
function nameOfId(id) {
  const hex = id.slice(3), bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.substr(2 * i, 2), 16);
  return new TextDecoder().decode(bytes);
}
function idOfName(name) {
  return "st-" + Array.from(new TextEncoder().encode(name), b => b.toString(16).padStart(2, "0")).join("");
}

function meta(pairs) {
  const dl = h("dl", {className: "meta"});
  for (const [k, v] of pairs) if (v !== undefined && v !== null && v !== "") dl.append(h("dt", {}, k), h("dd", {}, v));
  return dl;
}

async function loadGraph(box, arn) {
  const r = await fetch("/ui/graph.svg?arn=" + encodeURIComponent(arn));
  if (!r.ok) { const j = await r.json(); throw new Error(j.error + ": " + j.message); }
  const doc = new DOMParser().parseFromString(await r.text(), "image/svg+xml");
  const svg = doc.documentElement;
  if (svg.nodeName !== "svg" || doc.querySelector("parsererror")) throw new Error("the graph's SVG does not parse");
  svg.querySelectorAll("title").forEach(t => t.remove()); /* no "s:Name" tooltips */
  box.replaceChildren(document.importNode(svg, true));
  return box.querySelectorAll("g.node.state");
}

function legend() {
  return h("div", {className: "legend"},
    ["succeeded", "caught", "failed", "running", "notreached"].map(s =>
      h("span", {className: "l-" + s}, s === "notreached" ? "not reached" : s)));
}

/* ---- / : state machines ---- */

async function machinesPage() {
  document.title = "State machines · asl serve";
  const body = h("tbody");
  app.replaceChildren(h("h1", {}, "State machines"),
    h("table", {id: "machines"}, h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Type"),
      h("th", {}, "Created"), h("th", {}, "ARN"))), body));
  let token, n = 0;
  do {
    const r = await api("ListStateMachines", token ? {maxResults: 1000, nextToken: token} : {maxResults: 1000});
    for (const m of r.stateMachines || []) {
      n++;
      body.append(h("tr", {}, h("td", {}, link("/machine", m.stateMachineArn, m.name)), h("td", {}, m.type),
        h("td", {}, date(m.creationDate)), h("td", {className: "muted"}, m.stateMachineArn)));
    }
    token = r.nextToken;
  } while (token);
  if (!n) body.append(h("tr", {}, h("td", {colspan: 4, className: "muted"},
    "No state machine yet: create one with the API (CreateStateMachine).")));
}

/* ---- /machine : one machine, its graph and executions ---- */

async function machinePage(arn) {
  const m = await api("DescribeStateMachine", {stateMachineArn: arn});
  document.title = m.name + " · asl serve";
  const graph = h("div", {className: "graph-box", id: "graph"});
  const list = h("div", {id: "executions"});
  app.replaceChildren(
    h("div", {className: "crumbs"}, h("a", {href: "/"}, "State machines"), " / ", m.name),
    h("h1", {}, m.name),
    meta([["ARN", m.stateMachineArn], ["Type", m.type], ["Status", m.status], ["Created", date(m.creationDate)]]),
    h("h2", {}, "Definition"), graph,
    h("details", {}, h("summary", {}, "Definition JSON"), h("pre", {id: "definition"}, pretty(m.definition))),
    m.type === "EXPRESS" ? h("p", {className: "muted"}, "EXPRESS executions are not listed (as on AWS).") : list);
  loadGraph(graph, arn).catch(e => showError(graph, e));
  if (m.type !== "EXPRESS") executionsList(list, arn);
}

function executionsList(box, arn) {
  let filter = "", tokens = [undefined], page = 0;
  const filterSel = h("select", {id: "status-filter", onchange: () => { filter = filterSel.value; tokens = [undefined]; page = 0; load(); }},
    h("option", {value: ""}, "All statuses"), STATUSES.map(s => h("option", {value: s}, s)));
  const prev = h("button", {id: "prev-page", onclick: () => { page--; load(); }}, "‹ Previous");
  const next = h("button", {id: "next-page", onclick: () => { page++; load(); }}, "Next ›");
  const refresh = h("button", {onclick: () => load()}, "Refresh");
  const pageNo = h("span", {className: "muted"});
  const body = h("tbody");
  box.replaceChildren(h("h2", {}, "Executions"),
    h("div", {className: "toolbar"}, filterSel, prev, pageNo, next, refresh),
    h("table", {}, h("thead", {}, h("tr", {}, ["Name", "Status", "Started", "Stopped"].map(t => h("th", {}, t)))), body));
  async function load() {
    const req = {stateMachineArn: arn, maxResults: PAGE_SIZE};
    if (filter) req.statusFilter = filter;
    if (tokens[page]) req.nextToken = tokens[page];
    let r;
    try { r = await api("ListExecutions", req); } catch (e) { body.replaceChildren(); showError(box, e); return; }
    tokens[page + 1] = r.nextToken;
    body.replaceChildren(...(r.executions || []).map(x => h("tr", {},
      h("td", {}, link("/execution", x.executionArn, x.name)), h("td", {}, badge(x.status)),
      h("td", {}, date(x.startDate)), h("td", {}, date(x.stopDate)))));
    if (!(r.executions || []).length) body.append(h("tr", {}, h("td", {colspan: 4, className: "muted"}, "No executions.")));
    prev.disabled = page === 0;
    next.disabled = !r.nextToken;
    pageNo.textContent = "page " + (page + 1);
  }
  load();
}

/* ---- /execution : one execution ---- */

async function executionPage(arn) {
  const graph = h("div", {className: "graph-box", id: "graph"});
  const head = h("div", {id: "exec-head"});
  const panel = h("aside", {className: "panel", id: "panel"}, h("p", {className: "muted"}, "Select a state in the graph."));
  const events = h("tbody");
  app.replaceChildren(head,
    h("div", {className: "exec-layout"}, h("div", {}, graph, legend()), panel),
    h("h2", {}, "Events"),
    h("table", {id: "events"}, h("thead", {}, h("tr", {},
      ["ID", "Type", "Previous", "State", "Time", "Details"].map(t => h("th", {}, t)))), events));
  let data = null, selected = null, run = null, nodes = [];

  function select(name) {
    if (selected !== name) run = null;
    selected = name;
    for (const n of nodes) n.classList.toggle("selected", n.dataset.name === name);
    for (const tr of events.children) tr.classList.toggle("selected", !!name && tr.dataset.state === name);
    renderPanel();
  }

  function renderPanel() {
    if (!selected || !data) return;
    const st = data.states[selected];
    const node = nodes.find(n => n.dataset.name === selected);
    const status = st ? st.status : "notreached";
    const kids = [h("h3", {id: "panel-name"}, selected),
      h("div", {}, badge(status === "notreached" ? "not reached" : status), " ",
        st && st.type ? h("span", {className: "muted"}, st.type) : "",
        st && st.count > 1 ? h("span", {className: "muted"}, " · ran " + st.count + " times") : "")];
    if (!st) {
      kids.push(h("p", {className: "muted"}, data.execution.status === "RUNNING"
        ? "Not reached yet." : "This state was not reached."));
      if (!node) kids.push(h("p", {className: "muted"}, "(not in the graph)"));
      panel.replaceChildren(...kids);
      return;
    }
    const runs = st.runs || [];
    if (run === null || run >= runs.length) run = runs.length - 1;
    if (runs.length > 1) {
      const sel = h("select", {id: "panel-run", onchange: () => { run = Number(sel.value); renderPanel(); }},
        runs.map((r, i) => h("option", {value: i}, "Run " + (i + 1 + (st.count - runs.length)) + " (" + r.status + ", event " + r.entered + ")")));
      sel.value = String(run);
      kids.push(h("div", {className: "toolbar"}, sel));
    }
    const r = runs[run] || {};
    kids.push(h("h4", {}, "Input"), h("pre", {id: "panel-input"}, pretty(r.input)));
    kids.push(h("h4", {}, "Output"), h("pre", {id: "panel-output"},
      r.output !== undefined ? pretty(r.output) : (r.status === "running" ? "(running)" : "(none)")));
    if (r.error !== undefined || r.cause !== undefined) {
      kids.push(h("h4", {}, "Error"), h("pre", {id: "panel-error"}, r.error || ""));
      kids.push(h("h4", {}, "Cause"), h("pre", {id: "panel-cause"}, pretty(r.cause)));
    }
    panel.replaceChildren(...kids);
  }

  function renderHead(x) {
    document.title = x.name + " · asl serve";
    const machine = x.stateMachineArn.split(":").pop();
    head.replaceChildren(
      h("div", {className: "crumbs"}, h("a", {href: "/"}, "State machines"), " / ",
        link("/machine", x.stateMachineArn, machine), " / ", x.name),
      h("h1", {}, x.name, " ", h("span", {id: "exec-status"}, badge(x.status))),
      meta([["ARN", x.executionArn], ["Started", date(x.startDate)], ["Stopped", date(x.stopDate)],
        ["Error", x.error], ["Cause", x.cause]]),
      x.status === "RUNNING" ? h("p", {className: "muted"}, "Running: this page updates every second.") : "");
  }

  function colour() {
    for (const n of nodes) {
      const st = data.states[n.dataset.name];
      const s = st ? st.status : "notreached";
      n.dataset.status = s;
      for (const c of Array.from(n.classList)) if (c.startsWith("status-")) n.classList.remove(c);
      n.classList.add("status-" + s);
    }
  }

  function renderEvents(list) {
    events.replaceChildren(...list.map(ev => {
      let d = {};
      for (const [k, v] of Object.entries(ev)) if (k.endsWith("EventDetails")) d = v;
      const summary = d.error !== undefined || d.cause !== undefined
        ? [d.error, d.cause].filter(x => x !== undefined).join(": ")
        : d.output !== undefined ? d.output : d.input !== undefined ? d.input : d.resource || "";
      const tr = h("tr", {className: d.name ? "clickable" : ""},
        h("td", {}, ev.id), h("td", {}, ev.type), h("td", {}, ev.previousEventId),
        h("td", {}, d.name || ""), h("td", {}, date(ev.timestamp)),
        h("td", {className: "details", title: summary}, summary));
      if (d.name) { tr.dataset.state = d.name; tr.addEventListener("click", () => select(d.name)); }
      if (selected && d.name === selected) tr.classList.add("selected");
      return tr;
    }));
  }

  async function refresh() {
    data = await getJSON("/ui/execution.json?arn=" + encodeURIComponent(arn));
    renderHead(data.execution);
    colour();
    renderEvents(data.events);
    renderPanel();
    document.body.dataset.loaded = data.execution.status;
    if (data.execution.status === "RUNNING") setTimeout(() => refresh().catch(e => showError(head, e)), POLL_MS);
  }

  try {
    nodes = Array.from(await loadGraph(graph, arn));
  } catch (e) { showError(graph, e); }
  for (const n of nodes) {
    n.dataset.name = nameOfId(n.id);
    n.addEventListener("click", () => select(n.dataset.name));
  }
  await refresh();
  const want = param("state");
  if (want) select(want);
}

/* ---- start ---- */

(async function main() {
  try {
    const arn = param("arn");
    if (location.pathname === "/machine" && arn) await machinePage(arn);
    else if (location.pathname === "/execution" && arn) await executionPage(arn);
    else await machinesPage();
  } catch (e) {
    app.replaceChildren(h("h1", {}, "Error"));
    showError(app, e);
    document.body.dataset.loaded = "error";
  }
  if (!document.body.dataset.loaded) document.body.dataset.loaded = "1";
})();

window.asl = {idOfName, nameOfId};
