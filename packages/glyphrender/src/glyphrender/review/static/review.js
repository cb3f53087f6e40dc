// The review page: one page of glyph cards at a time, decisions saved on every click or key.
"use strict";

const STATUS_ORDER = { undecided: 0, rejected: 1, accepted: 2 };
const STATUS_WORD = { accepted: "accepted", rejected: "rejected", undecided: "undecided" };
const LINE_GLYPHS = 12; // generated glyphs in the default line of text

const state = {
  glyphs: [],
  byCp: new Map(),
  context: [],
  hasSource: false,
  sourceFonts: [],
  view: [], // the filtered, sorted glyphs
  page: 0,
  perPage: 48,
  focus: 0, // index of the focused card on the page
  pending: 0, // decisions sent and not yet answered
  lineEdited: false,
};

const $ = (id) => document.getElementById(id);

function hex(cp) {
  return "U+" + cp.toString(16).toUpperCase().padStart(4, "0");
}

function percent(x) {
  return x === null ? "n/a" : (100 * x).toFixed(0) + "%";
}

function compareBy(sort) {
  const byCp = (a, b) => a.cp - b.cp;
  const nullsLast = (v) => (v === null ? -1 : v);
  switch (sort) {
    case "ink-asc":
      return (a, b) => a.ink - b.ink || byCp(a, b);
    case "ink-desc":
      return (a, b) => b.ink - a.ink || byCp(a, b);
    case "dis-desc":
      return (a, b) => nullsLast(b.dis) - nullsLast(a.dis) || byCp(a, b);
    case "status":
      return (a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || byCp(a, b);
    default:
      return byCp;
  }
}

function rebuildView() {
  const filter = $("filter").value;
  const special = { all: () => true, edited: (g) => g.edited, replacements: (g) => g.replaces };
  const keep = special[filter] || ((g) => g.status === filter);
  state.view = state.glyphs.filter(keep).sort(compareBy($("sort").value));
  state.page = Math.min(state.page, Math.max(0, pageCount() - 1));
}

function pageCount() {
  return Math.ceil(state.view.length / state.perPage);
}

function pageGlyphs() {
  const start = state.page * state.perPage;
  return state.view.slice(start, start + state.perPage);
}

function img(src, alt, className) {
  const el = document.createElement("img");
  el.src = src;
  el.alt = alt;
  el.loading = "lazy";
  el.decoding = "async";
  if (className) el.className = className;
  return el;
}

function figure(className, child, caption) {
  const fig = document.createElement("figure");
  fig.className = className;
  fig.append(child);
  const cap = document.createElement("figcaption");
  cap.textContent = caption;
  fig.append(cap);
  return fig;
}

function sourceCaption(g) {
  // Name the font the source came from when a source list was used (zi2zi generate --fallback-src).
  const fonts = state.sourceFonts;
  return fonts.length > 1 && g.src_font !== null ? `source: ${fonts[g.src_font]}` : "source";
}

function sourceFigure(g) {
  if (state.hasSource) return figure("src", img(`/img/src/${g.cp}.png`, "source glyph"), sourceCaption(g));
  const none = document.createElement("div");
  none.className = "none";
  none.textContent = "source not stored";
  return figure("src", none, "source");
}

function ownFigure(g) {
  // A replacement candidate: the glyph the target font draws today, which it would replace.
  return figure("own", img(`/img/target/${g.cp}.png`, `the target font's own ${hex(g.cp)}`), "target's own");
}

function contextStrip(g) {
  // The generated glyph between the target font's own characters, as in a line of text.
  const strip = document.createElement("div");
  strip.className = "context";
  strip.title = "in a line with the target font's own glyphs";
  const ctx = state.context;
  if (ctx.length === 0) return strip;
  const half = Math.ceil(ctx.length / 2);
  ctx.slice(0, half).forEach((cp) => strip.append(img(`/img/target/${cp}.png`, String.fromCodePoint(cp))));
  strip.append(img(`/img/gen/${g.cp}.png`, "generated, in a line", "gen-in-line"));
  ctx.slice(half).forEach((cp) => strip.append(img(`/img/target/${cp}.png`, String.fromCodePoint(cp))));
  return strip;
}

function button(label, cls, status, g) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = cls;
  b.textContent = label;
  b.dataset.status = status;
  b.setAttribute("aria-pressed", String(g.status === status));
  return b;
}

function card(g, index) {
  const el = document.createElement("article");
  el.className = `card status-${g.status}` + (g.replaces ? " replacement" : "");
  el.dataset.cp = String(g.cp);
  el.dataset.status = g.status;
  el.dataset.index = String(index);
  el.tabIndex = -1;
  const pair = document.createElement("div");
  pair.className = "pair";
  const generated = figure("gen", img(`/img/gen/${g.cp}.png`, `generated ${hex(g.cp)}`), "generated");
  if (g.replaces) {
    // source | generated | the target's own glyph, all at one scale, to judge the form.
    pair.className = "pair triple";
    pair.append(sourceFigure(g), generated, ownFigure(g));
  } else {
    pair.append(generated, sourceFigure(g));
  }
  el.append(pair, contextStrip(g));
  const meta = document.createElement("div");
  meta.className = "meta";
  meta.innerHTML =
    `<span class="char"></span><span>${hex(g.cp)}</span>` +
    `<span title="inked share of the canvas">ink ${percent(g.ink)}</span>` +
    `<span title="1 - ink IoU with the source glyph">differs from source ${percent(g.dis)}</span>` +
    `<span class="status-word"></span>`;
  meta.querySelector(".char").textContent = String.fromCodePoint(g.cp);
  meta.querySelector(".status-word").textContent = STATUS_WORD[g.status];
  if (g.replaces) {
    const tag = document.createElement("span");
    tag.className = "replace-tag";
    tag.textContent = "replacement";
    tag.title = "the target font already draws this character: accepting replaces its glyph";
    meta.append(tag);
  }
  if (g.edited) {
    const tag = document.createElement("span");
    tag.className = "edited-tag";
    tag.textContent = "edited PNG";
    meta.append(tag);
  }
  const buttons = document.createElement("div");
  buttons.className = "buttons";
  buttons.append(
    button("\u2713 Accept", "accept", "accepted", g),
    button("\u2717 Reject", "reject", "rejected", g),
    button("Undecided", "undecide", "undecided", g),
  );
  el.append(meta, buttons);
  return el;
}

function updateCard(g) {
  const el = document.querySelector(`.card[data-cp="${g.cp}"]`);
  if (!el) return;
  el.className = el.className.replace(/status-\w+/, `status-${g.status}`);
  el.dataset.status = g.status;
  el.querySelector(".status-word").textContent = STATUS_WORD[g.status];
  el.querySelectorAll(".buttons button").forEach((b) => {
    b.setAttribute("aria-pressed", String(b.dataset.status === g.status));
  });
}

function render() {
  const grid = $("grid");
  const glyphs = pageGlyphs();
  grid.replaceChildren(...glyphs.map(card));
  const pages = Math.max(1, pageCount());
  const label = `page ${state.page + 1} of ${pages} (${state.view.length.toLocaleString()} glyphs)`;
  $("page-label").textContent = label;
  $("footer-page").textContent = label;
  $("prev").disabled = state.page === 0;
  $("next").disabled = state.page >= pages - 1;
  setFocus(Math.min(state.focus, glyphs.length - 1), false);
  if (!state.lineEdited) {
    $("line-text").value = defaultLine(glyphs);
    updateLine();
  }
}

function defaultLine(glyphs) {
  // Generated glyphs of this page alternating with the target font's own characters.
  const ctx = state.context.map((cp) => String.fromCodePoint(cp));
  let text = "";
  glyphs.slice(0, LINE_GLYPHS).forEach((g, i) => {
    if (ctx.length) text += ctx[i % ctx.length];
    text += String.fromCodePoint(g.cp);
  });
  return text;
}

let lineTimer = null;
function updateLine() {
  clearTimeout(lineTimer);
  lineTimer = setTimeout(() => {
    $("line-img").src = "/img/line.png?text=" + encodeURIComponent($("line-text").value);
  }, 200);
}

function setFocus(index, scroll = true) {
  const cards = $("grid").children;
  document.querySelectorAll(".card.focused").forEach((c) => c.classList.remove("focused"));
  if (cards.length === 0) return;
  state.focus = Math.max(0, Math.min(index, cards.length - 1));
  const el = cards[state.focus];
  el.classList.add("focused");
  if (scroll) el.scrollIntoView({ block: "nearest" });
}

function columns() {
  const cards = $("grid").children;
  let n = 0;
  while (n < cards.length && cards[n].offsetTop === cards[0].offsetTop) n++;
  return Math.max(1, n);
}

function showCounts(counts) {
  $("n-accepted").textContent = counts.accepted.toLocaleString();
  $("n-rejected").textContent = counts.rejected.toLocaleString();
  $("n-undecided").textContent = counts.undecided.toLocaleString();
}

function showError(message) {
  const box = $("error");
  box.hidden = !message;
  box.textContent = message || "";
}

async function decide(cp, status) {
  const g = state.byCp.get(cp);
  const before = g.status;
  g.status = status;
  updateCard(g);
  state.pending++;
  document.body.dataset.pending = String(state.pending);
  $("saved").textContent = "saving\u2026";
  try {
    const response = await fetch("/api/decisions", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ [hex(cp)]: status }),
    });
    const answer = await response.json();
    if (!response.ok) throw new Error(answer.error || response.statusText);
    showCounts(answer.counts);
    showError("");
    $("saved").textContent = "saved";
  } catch (err) {
    g.status = before;
    updateCard(g);
    showError(`Not saved (${hex(cp)}: ${err.message}); is glyphrender review still running?`);
    $("saved").textContent = "";
  } finally {
    state.pending--;
    document.body.dataset.pending = String(state.pending);
  }
}

function focusedGlyph() {
  const el = $("grid").children[state.focus];
  return el ? state.byCp.get(Number(el.dataset.cp)) : undefined;
}

function goPage(delta) {
  const page = state.page + delta;
  if (page < 0 || page >= pageCount()) return;
  state.page = page;
  state.focus = 0;
  render(); // the view is not re-filtered: decided glyphs stay put until the filter changes
  window.scrollTo(0, 0);
}

const KEYS = {
  ArrowRight: () => setFocus(state.focus + 1),
  ArrowLeft: () => setFocus(state.focus - 1),
  ArrowDown: () => setFocus(state.focus + columns()),
  ArrowUp: () => setFocus(state.focus - columns()),
  l: () => setFocus(state.focus + 1),
  h: () => setFocus(state.focus - 1),
  j: () => setFocus(state.focus + columns()),
  k: () => setFocus(state.focus - columns()),
  a: () => decideFocused("accepted", true),
  r: () => decideFocused("rejected", true),
  x: () => decideFocused("rejected", true),
  u: () => decideFocused("undecided", false),
  n: () => goPage(1),
  p: () => goPage(-1),
  PageDown: () => goPage(1),
  PageUp: () => goPage(-1),
};

function decideFocused(status, advance) {
  const g = focusedGlyph();
  if (!g) return;
  decide(g.cp, status);
  if (advance) setFocus(state.focus + 1);
}

function onKey(event) {
  const tag = event.target.tagName;
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") return;
  const action = KEYS[event.key];
  if (action) {
    event.preventDefault();
    action();
  }
}

function onGridClick(event) {
  const el = event.target.closest(".card");
  if (!el) return;
  setFocus(Number(el.dataset.index), false);
  const b = event.target.closest("button[data-status]");
  if (b) decide(Number(el.dataset.cp), b.dataset.status);
}

function restart() {
  state.page = 0;
  state.focus = 0;
  rebuildView();
  render();
}

async function main() {
  const response = await fetch("/api/state");
  if (!response.ok) {
    showError("Could not load the glyphs: " + response.statusText);
    return;
  }
  const data = await response.json();
  state.glyphs = data.glyphs;
  state.byCp = new Map(data.glyphs.map((g) => [g.cp, g]));
  state.context = data.context;
  state.hasSource = data.has_source;
  state.sourceFonts = data.source_fonts || [];
  const target = data.target_name ? ` \u2192 ${data.target_name}` : "";
  const replacing = data.replacements ? `, ${data.replacements.toLocaleString()} of them replacements` : "";
  $("title").textContent = `${data.folder}: ${data.glyphs.length.toLocaleString()} glyphs${replacing}${target}`;
  document.title = `Review ${data.folder}`;
  $("decisions-file").textContent = data.decisions_file;
  showCounts(data.counts);
  $("filter").addEventListener("change", restart);
  $("sort").addEventListener("change", restart);
  $("per-page").addEventListener("change", () => {
    state.perPage = Number($("per-page").value);
    restart();
  });
  $("prev").addEventListener("click", () => goPage(-1));
  $("next").addEventListener("click", () => goPage(1));
  $("line-text").addEventListener("input", () => {
    state.lineEdited = true;
    updateLine();
  });
  $("grid").addEventListener("click", onGridClick);
  document.addEventListener("keydown", onKey);
  state.perPage = Number($("per-page").value);
  rebuildView();
  render();
  document.body.dataset.ready = "true";
}

main();
