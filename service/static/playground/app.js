// ragguard playground: a framework-free client of the public API (the same endpoints SDK users call).
// The key is typed by the user and kept in sessionStorage at most; the page never carries one.
"use strict";

const KEY_STORE = "ragguard.playground.key";
const $ = (id) => document.getElementById(id);
const state = { key: sessionStorage.getItem(KEY_STORE) || "", citations: [], controller: null };

// ---- small DOM helpers ---------------------------------------------------------------------------
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

const fmtScore = (x) => (typeof x === "number" ? x.toFixed(3) : "–");

function setStatus(text, stateName) {
  $("status").textContent = text;
  $("status").dataset.state = stateName;
}

function showError(message) {
  $("error").hidden = !message;
  $("error").textContent = message || "";
}

// ---- API -------------------------------------------------------------------------------------------
function headers() {
  const h = { "Content-Type": "application/json" };
  if (state.key) h.Authorization = `Bearer ${state.key}`;
  return h;
}

async function errorOf(response) {
  // Every gateway error is the OpenAI envelope; keep its ragguard extension (the blocking rail).
  let body = {};
  try { body = await response.json(); } catch (_) { /* not JSON: fall back to the status line */ }
  const err = new Error((body.error && body.error.message) || `HTTP ${response.status}`);
  err.status = response.status;
  err.body = body;
  return err;
}

async function api(path, payload) {
  const init = payload === undefined ? { headers: headers() }
    : { method: "POST", headers: headers(), body: JSON.stringify(payload) };
  const response = await fetch(path, init);
  if (!response.ok) throw await errorOf(response);
  return response.json();
}

async function* sseEvents(response) {
  // OpenAI SSE framing: `data: {...}` lines, ending with `data: [DONE]`.
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, cut).replace(/\r$/, "");
      buffer = buffer.slice(cut + 1);
      if (!line.startsWith("data:")) continue;
      const data = line.slice(5).trim();
      if (data === "[DONE]") return;
      yield JSON.parse(data);
    }
  }
}

// ---- models and key --------------------------------------------------------------------------------
async function loadModels() {
  const select = $("model");
  try {
    const list = await api("/v1/models");
    select.replaceChildren(...list.data.map((m) => el("option", { value: m.id }, m.id)));
    showError("");
  } catch (err) {
    select.replaceChildren(el("option", { value: "" }, "unavailable"));
    if (err.status === 401) {
      showError("This gateway needs an API key: enter it above.");
      $("api-key").focus();
    } else {
      showError(`Could not list models: ${err.message}`);
    }
  }
}

function useKey(event) {
  event.preventDefault();
  state.key = $("api-key").value.trim();
  if ($("remember-key").checked && state.key) sessionStorage.setItem(KEY_STORE, state.key);
  else sessionStorage.removeItem(KEY_STORE);
  loadModels();
}

// ---- panels ----------------------------------------------------------------------------------------
function railRow(r) {
  const name = r.rail || r.name;  // chat reports say `rail`, /v1/guardrails/check says `name`
  return el("tr", { "data-rail": name, "data-verdict": r.verdict, class: `verdict-${r.verdict}` },
    el("th", { scope: "row" }, name), el("td", {}, r.verdict), el("td", {}, fmtScore(r.score)),
    el("td", {}, r.reason || ""));
}

function renderRails(rails, blockedRail = null) {
  const all = [...rails];
  if (blockedRail && !all.some((r) => (r.rail || r.name) === blockedRail.rail)) all.push(blockedRail);
  $("rails").tBodies[0].replaceChildren(...all.map(railRow));
}

const ROAD = ["input_rails", "retrieval", "generation", "output_rails"];
const roadOrder = (stage) => (ROAD.includes(stage) ? ROAD.indexOf(stage) : ROAD.length);

function renderTimings(timings, client) {
  const stages = Object.entries(timings || {}).sort(([a], [b]) => roadOrder(a) - roadOrder(b));
  const total = stages.reduce((sum, [, s]) => sum + s, 0) || 1;
  const rows = stages.map(([stage, seconds]) => el("tr", { "data-stage": stage },
    el("th", { scope: "row" }, stage), el("td", { class: "num" }, (seconds * 1000).toFixed(1)),
    el("td", {}, el("meter", { min: 0, max: 1, value: (seconds / total).toFixed(3),
      "aria-label": `${stage} share of server time` }))));
  for (const [label, ms] of Object.entries(client)) {
    if (ms !== null) rows.push(el("tr", { class: "client" }, el("th", { scope: "row" }, label),
      el("td", { class: "num" }, ms.toFixed(1)), el("td", {})));
  }
  $("timings").tBodies[0].replaceChildren(...rows);
}

function renderSources(citations) {
  state.citations = citations || [];
  $("sources").replaceChildren(...state.citations.map((c) => el("li", { id: `source-${c.index}`, value: c.index },
    el("details", {}, el("summary", {}, `${c.source}`, c.title ? ` — ${c.title}` : "",
      el("span", { class: "muted" }, ` (score ${fmtScore(c.score)})`)), el("blockquote", {}, c.text)))));
  for (const node of $("answer").querySelectorAll(".sentence")) describe(node);
}

function citationOf(sentence) {
  return state.citations.find((c) => c.index === sentence.citation) || null;
}

function describe(node) {
  // The tooltip: verdict, score and the cited source (once citations have arrived).
  const s = node.sentence;
  const c = citationOf(s);
  node.title = `${s.kept === false ? "removed, " : ""}${s.verdict} (score ${fmtScore(s.score)})`
    + (s.citation ? ` — [${s.citation}] ${c ? c.source : ""}` : "");
}

function showDetail(s) {
  const c = citationOf(s);
  const parts = [
    el("p", {}, el("strong", { class: `tag ${s.verdict}` }, s.verdict), ` score ${fmtScore(s.score)}`,
      s.kept === false ? el("span", { class: "tag removed" }, " removed") : null),
    el("p", { class: "quote" }, s.text),
  ];
  if (s.reason) parts.push(el("p", {}, `Reason: ${s.reason}`));
  if (s.citation) {
    parts.push(el("p", {}, `Best source: [${s.citation}] `, c ? `${c.source}${c.title ? ` — ${c.title}` : ""}` : ""));
    if (c) parts.push(el("blockquote", { class: "passage" }, c.text));
  } else {
    parts.push(el("p", { class: "muted" }, "No source passage."));
  }
  $("detail").replaceChildren(...parts);
}

// ---- the answer ------------------------------------------------------------------------------------
function removalReason(s) {
  return s.reason || `not supported by the sources (score ${fmtScore(s.score)})`;
}

function sentenceNode(s) {
  const kept = s.kept !== false;
  const attrs = { class: `sentence ${kept ? s.verdict : "removed"}`, tabindex: 0, role: "button",
    "data-verdict": s.verdict, "data-score": s.score, "data-citation": s.citation ?? "", "data-kept": kept,
    onclick: () => showDetail(s), onfocus: () => showDetail(s),
    onkeydown: (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); showDetail(s); } } };
  const node = kept ? el("span", attrs, s.text)
    : el("span", attrs, el("del", {}, s.text || "(text withheld)"), el("span", { class: "reason" }, ` (removed: ${removalReason(s)})`));
  if (kept && s.citation) node.append(el("sup", { class: "cite" }, `[${s.citation}]`));
  node.sentence = s;
  describe(node);
  return node;
}

function appendSentence(s) {
  $("answer").append(sentenceNode(s), " ");
}

function renderFinal(report, finishReason, streamedCount, heldText) {
  const g = report.grounding || { sentences: [] };
  const refused = finishReason === "content_filter";
  // refuse holds the answer until it is checked whole: draw it from the report then.
  if (streamedCount !== g.sentences.length) {
    $("answer").replaceChildren();
    const withheld = `withheld: too little of the answer is supported (${fmtScore(g.supported_ratio)})`;
    for (const s of g.sentences) {
      appendSentence(refused && g.policy === "refuse" ? { ...s, kept: false, reason: withheld } : s);
    }
  }
  if (refused && heldText.trim()) {
    $("answer").prepend(el("p", { class: "refusal", "data-refused": "true" }, heldText.trim()));
  }
  $("grounding-summary").textContent = `policy ${g.policy}, verdict ${g.verdict}, `
    + `${Math.round((g.supported_ratio || 0) * 100)}% of sentences supported, finish: ${finishReason}`;
}

// ---- the two modes ---------------------------------------------------------------------------------
function reset() {
  showError("");
  $("blocked").hidden = true;
  $("answer").replaceChildren();
  $("grounding-summary").textContent = "";
  $("detail").replaceChildren(el("p", { class: "muted" }, "Select a sentence of the answer."));
  $("rails").tBodies[0].replaceChildren();
  $("timings").tBodies[0].replaceChildren();
  $("sources").replaceChildren();
  $("chunks").replaceChildren();
  $("request-id").textContent = "";
  state.citations = [];
}

async function showBlocked(err, question) {
  const rail = err.body.ragguard || {};
  $("blocked").hidden = false;
  $("blocked").dataset.rail = rail.rail || "";
  $("blocked").textContent = `Blocked by input rail "${rail.rail}" (score ${fmtScore(rail.score)}): `
    + `${rail.reason || err.message}`;
  renderRails([], rail);
  // The block names only the rail that stopped the prompt; ask for every rail's verdict when the API can.
  try {
    const check = await api("/v1/guardrails/check", { messages: [{ role: "user", content: question }] });
    renderRails(check.rails || [], rail);
  } catch (_) { /* older gateways have no /v1/guardrails/check: the blocking rail is shown already */ }
}

async function chat(question) {
  const started = performance.now();
  let firstSentence = null;
  let streamed = 0;
  let held = "";
  let final = null;
  const payload = {
    model: $("model").value, stream: true, max_tokens: Number($("max-tokens").value) || undefined,
    temperature: $("temperature").value === "" ? undefined : Number($("temperature").value),  // 0: greedy, repeatable
    messages: [{ role: "user", content: question }],
    ragguard: { grounding_policy: $("policy").value, top_k: Number($("top-k").value) || undefined },
  };
  const response = await fetch("/v1/chat/completions", {
    method: "POST", headers: headers(), body: JSON.stringify(payload), signal: state.controller.signal,
  });
  if (!response.ok) throw await errorOf(response);
  setStatus("Streaming…", "streaming");
  for await (const chunk of sseEvents(response)) {
    if (chunk.error) throw Object.assign(new Error(chunk.error.message), { body: chunk });
    const choice = (chunk.choices || [])[0] || {};
    const ext = chunk.ragguard || {};
    if (ext.sentence) {
      firstSentence = firstSentence ?? performance.now() - started;
      streamed += 1;
      appendSentence(ext.sentence);
    } else if (choice.delta && choice.delta.content) {
      held += choice.delta.content;
    }
    if (choice.finish_reason) final = chunk;
  }
  if (!final) throw new Error("the stream ended without a final chunk");
  const report = final.ragguard || {};
  renderSources(final.citations || report.citations || []);
  renderFinal(report, final.choices[0].finish_reason, streamed, held);
  renderRails(report.input_rails || []);
  renderTimings(report.timings, { "first sentence (client)": firstSentence, "total (client)": performance.now() - started });
  $("request-id").textContent = report.request_id ? `request ${report.request_id}` : "";
}

async function retrieve(question) {
  const started = performance.now();
  const payload = { query: question, top_k: Number($("top-k").value) || undefined };
  if ($("retrieval-mode").value) payload.mode = $("retrieval-mode").value;
  const body = await api("/v1/retrieve", payload);
  $("chunks").replaceChildren(...body.data.map((c) => el("li", { "data-source": c.source, value: c.rank },
    el("p", {}, el("strong", {}, c.source), c.title ? ` — ${c.title}` : "",
      el("span", { class: "muted" }, ` score ${fmtScore(c.score)}`)), el("blockquote", {}, c.text))));
  renderTimings({}, { "retrieve (client)": performance.now() - started });
}

function mode() {
  return document.querySelector("input[name=mode]:checked").value;
}

function applyMode() {
  const retrieveMode = mode() === "retrieve";
  for (const node of document.querySelectorAll(".chat-only")) node.hidden = retrieveMode;
  for (const node of document.querySelectorAll(".retrieve-only")) node.hidden = !retrieveMode;
}

async function submit(event) {
  event.preventDefault();
  const question = $("question").value.trim();
  if (!question || state.controller) return;
  reset();
  const started = performance.now();
  state.controller = new AbortController();
  $("send").disabled = true;
  $("stop").disabled = false;
  $("answer").setAttribute("aria-busy", "true");
  setStatus("Working…", "working");
  try {
    await (mode() === "retrieve" ? retrieve(question) : chat(question));
    setStatus("Done.", "done");
  } catch (err) {
    if (err.name === "AbortError") {
      setStatus("Stopped.", "stopped");
    } else if (err.body && err.body.error && err.body.error.type === "guardrail_violation") {
      renderTimings({}, { "blocked after (client)": performance.now() - started });
      await showBlocked(err, question);
      setStatus("Blocked by an input rail.", "blocked");
    } else {
      setStatus("Failed.", "error");
      showError(err.message);
    }
  } finally {
    state.controller = null;
    $("send").disabled = false;
    $("stop").disabled = true;
    $("answer").setAttribute("aria-busy", "false");
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("api-key").value = state.key;
  $("remember-key").checked = Boolean(state.key);
  $("key-form").addEventListener("submit", useKey);
  $("ask-form").addEventListener("submit", submit);
  $("stop").addEventListener("click", () => state.controller && state.controller.abort());
  $("question").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) $("ask-form").requestSubmit();
  });
  for (const radio of document.querySelectorAll("input[name=mode]")) radio.addEventListener("change", applyMode);
  applyMode();
  loadModels();
});
