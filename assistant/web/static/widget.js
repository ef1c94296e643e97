/*
 * Cable Assistant widget: a chat panel that answers questions with quotes from the archive.
 *
 *   <script src="https://ASSISTANT/widget.js" data-title="Ask the archive" defer></script>
 *
 * Options (data- attributes of the script tag):
 *   data-title       the button and panel title (default "Ask the archive")
 *   data-collection  restrict answers to these collections (comma-separated)
 *
 * It talks to the API next to this script (its own URL without "widget.js"), so the
 * assistant's server must list the page's origin in CABLES_CORS_ORIGINS. It asks
 * api/ask/stream and shows a language model's text as it is written, then the verified
 * answer in its place; a server without that endpoint is asked api/ask instead. The
 * answer is rendered from its paragraphs (text, quotes and their citation numbers), never
 * read back from its text. A citation opens the archive's own page for the document when
 * the server has a URL template for it (with the quote as a text fragment, so the browser
 * scrolls to it), or else the whole document in the panel (api/documents/ID), scrolled to
 * the highlighted quote, with its pages, withheld passages and thread.
 *
 * Everything from the server (answers, titles, places) is inserted as text with
 * createElement and textContent, never as HTML, so a document containing markup
 * shows it literally and cannot run anything on the archive's page. The panel lives
 * in a shadow root, so the page's styles and the widget's do not mix.
 */
(() => {
  "use strict";

  const script =
    document.currentScript || document.querySelector('script[src*="widget.js"]');
  if (!script || window.__cableAssistantWidget) return;
  window.__cableAssistantWidget = true;

  const API = new URL(".", script.src);
  const TITLE = script.dataset.title || "Ask the archive";
  const COLLECTIONS = (script.dataset.collection || "")
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  const MAX_QUESTION_CHARS = 1000; // assistant/api.py MAX_QUESTION_CHARS
  const HISTORY_TURNS = 8;
  const HISTORY_TURN_CHARS = 2000;
  const CONTEXT_CHARS = 90; // of the passage around a quote in its source card
  const GAPS = { illegible: "Illegible in the source" }; // else: withheld

  const CSS = `
:host { all: initial; }
.root, .root * { box-sizing: border-box; }
.root {
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: #1b1f24;
}
.launcher {
  position: fixed; right: 20px; bottom: 20px; z-index: 2147483000;
  display: inline-flex; align-items: center; gap: 8px;
  padding: 12px 18px; border: 0; border-radius: 999px;
  background: #1d3557; color: #fff; font: inherit; font-weight: 600; cursor: pointer;
  box-shadow: 0 4px 14px rgba(0, 0, 0, .28);
}
.launcher:hover { background: #14263f; }
.launcher svg { width: 20px; height: 20px; flex: none; }
button:focus-visible, textarea:focus-visible, a:focus-visible {
  outline: 3px solid #f4a261; outline-offset: 2px;
}
.panel {
  position: fixed; right: 20px; bottom: 84px; z-index: 2147483001;
  display: flex; flex-direction: column;
  width: 420px; max-width: calc(100vw - 40px);
  height: 620px; max-height: calc(100vh - 104px);
  background: #fff; border: 1px solid #c9d1dc; border-radius: 14px; overflow: hidden;
  box-shadow: 0 12px 40px rgba(16, 24, 40, .28);
}
.panel[hidden] { display: none; }
header {
  display: flex; align-items: flex-start; gap: 12px;
  padding: 14px 16px; background: #1d3557; color: #fff;
}
header .heading { flex: 1; min-width: 0; }
h2 { margin: 0; font-size: 17px; line-height: 1.3; font-weight: 700; }
header p { margin: 2px 0 0; font-size: 13px; color: #dbe4ef; }
.close {
  flex: none; width: 34px; height: 34px; padding: 0; border: 0; border-radius: 8px;
  background: transparent; color: #fff; font-size: 24px; line-height: 1; cursor: pointer;
}
.close:hover, .restart:hover { background: rgba(255, 255, 255, .16); }
.restart {
  flex: none; height: 34px; padding: 0 10px; border: 1px solid rgba(255, 255, 255, .5);
  border-radius: 8px; background: transparent; color: #fff; font: inherit; font-size: 13px;
  cursor: pointer;
}
.restart[hidden] { display: none; }
.log { position: relative; flex: 1; overflow-y: auto; padding: 16px; background: #f6f8fa; }
.msg { margin: 0 0 14px; padding: 10px 12px; border-radius: 10px; overflow-wrap: anywhere; }
.msg p { margin: 0 0 8px; white-space: pre-line; }
.msg p:last-child { margin-bottom: 0; }
.user {
  margin-left: 48px; background: #1d3557; color: #fff; white-space: pre-wrap;
}
.bot { margin-right: 12px; background: #fff; border: 1px solid #d8dee6; }
.intro { color: #3d4753; }
.pending { color: #3d4753; font-style: italic; }
.pending.streaming { color: inherit; font-style: normal; }
.error { background: #fdecec; border: 1px solid #e2a4a4; color: #8a1c1c; }
.label { font-weight: 700; }
.searched, .note { font-size: 13px; color: #4a5563; }
.note { font-style: italic; }
.warning {
  padding: 6px 10px; border-left: 4px solid #b45309; border-radius: 4px;
  background: #fff4e0; color: #6b3a00; font-size: 13px;
}
.ref { font-size: 12px; vertical-align: super; line-height: 0; font-weight: 600; }
a { color: #0b57d0; }
.sources { margin-top: 10px; padding-top: 8px; border-top: 1px solid #e3e8ee; }
.sources h3 {
  margin: 0 0 6px; font-size: 12px; letter-spacing: .06em; text-transform: uppercase;
  color: #4a5563;
}
.sources ol { margin: 0; padding: 0; list-style: none; }
.sources li { margin: 0 0 8px; font-size: 14px; }
.sources li:last-child { margin-bottom: 0; }
.refs { display: inline-block; min-width: 2.2em; font-weight: 600; color: #4a5563; }
.meta { display: block; color: #4a5563; font-size: 13px; }
button.ref, button.source, .thread-link {
  padding: 0; border: 0; background: none; font: inherit; color: #0b57d0; cursor: pointer;
  text-align: left; text-decoration: underline; text-underline-offset: 2px;
}
button.ref { font-size: 12px; vertical-align: super; line-height: 1; font-weight: 600;
  text-decoration: none; }
.sources .quote { margin: 4px 0 0; padding-left: 8px; border-left: 3px solid #c9d1dc;
  font-size: 13px; color: #3d4753; white-space: pre-line; }
mark { background: #fde68a; color: inherit; padding: 0 1px; border-radius: 2px; }
.reader { flex: 1; display: flex; flex-direction: column; min-height: 0; background: #fff; }
.reader[hidden] { display: none; }
.reader-bar { padding: 8px 12px; border-bottom: 1px solid #d8dee6; background: #f6f8fa; }
.back {
  padding: 4px 10px; border: 1px solid #8b96a5; border-radius: 8px; background: #fff;
  font: inherit; font-size: 13px; color: #1b1f24; cursor: pointer;
}
.reader-body { position: relative; flex: 1; overflow-y: auto; padding: 12px 16px; }
.kicker { margin: 0; font-size: 11px; letter-spacing: .06em; text-transform: uppercase;
  color: #4a5563; }
.doc-title { margin: 2px 0 4px; font-size: 16px; line-height: 1.3; }
.where, .thread { margin: 6px 0; font-size: 13px; color: #3d4753; }
.thread-name { font-weight: 600; }
.reader .text {
  margin-top: 10px; white-space: pre-wrap; font: 14px/1.6 Georgia, "Times New Roman", serif;
  overflow-wrap: anywhere;
}
.reader .text mark { outline: 2px solid #b45309; outline-offset: 1px; }
.page-mark {
  display: block; margin: 10px 0 4px; border-top: 1px dashed #c9d1dc; text-align: right;
  font: 11px/1.6 system-ui, sans-serif; letter-spacing: .04em; color: #4a5563;
}
.text > .page-mark:first-child { margin-top: 0; border-top: 0; }
.gap {
  padding: 0 4px; border: 1px dashed #8b96a5; border-radius: 3px; background: #e5e7eb;
  font: 12px system-ui, sans-serif; color: #374151;
}
.gap::before { font-weight: 600; margin-right: 4px; }
.gap-withheld::before { content: "Withheld"; }
.gap-illegible::before { content: "Illegible"; }
form {
  display: flex; align-items: flex-end; gap: 8px;
  padding: 12px; border-top: 1px solid #d8dee6; background: #fff;
}
textarea {
  flex: 1; min-height: 44px; max-height: 140px; resize: none;
  padding: 10px 12px; border: 1px solid #8b96a5; border-radius: 10px;
  font: inherit; color: inherit; background: #fff;
}
.send {
  height: 44px; padding: 0 16px; border: 0; border-radius: 10px;
  background: #1d3557; color: #fff; font: inherit; font-weight: 600; cursor: pointer;
}
.send:disabled { background: #7b8794; cursor: wait; }
.footnote { margin: 0; padding: 0 12px 10px; background: #fff; font-size: 12px; color: #4a5563; }
.visually-hidden {
  position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap;
}
@media (max-width: 480px) {
  .panel {
    right: 0; bottom: 0; width: 100vw; max-width: 100vw;
    height: 100vh; height: 100dvh; max-height: none; border: 0; border-radius: 0;
  }
  .launcher { right: 16px; bottom: 16px; }
  .user { margin-left: 24px; }
}
`;

  /** An element with attributes and children; strings become text nodes, never HTML. */
  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "className") node.className = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === "") continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  /** Only web links: a document's "javascript:" URL is shown as nothing. */
  function safeLink(url) {
    if (!url) return null;
    try {
      const parsed = new URL(url);
      return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
    } catch {
      return null;
    }
  }

  function linkTo(url, text, attributes = {}) {
    const href = safeLink(url);
    if (!href) return el("span", { className: attributes.className }, text);
    return el("a", { href, target: "_blank", rel: "noopener noreferrer", ...attributes }, text);
  }

  function chatIcon() {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute(
      "d",
      "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6v2h2v-2H7zm4 0v2h2v-2h-2zm4 0v2h2v-2h-2z",
    );
    svg.append(path);
    return svg;
  }

  const turns = []; // the conversation so far, sent with each question for follow-ups

  // -- the panel ------------------------------------------------------------------------------

  const host = el("div", { id: "cable-assistant-widget" });
  const shadow = host.attachShadow({ mode: "open" });
  const style = el("style", {}, CSS);

  const launcher = el(
    "button",
    {
      type: "button",
      className: "launcher",
      "aria-expanded": "false",
      "aria-controls": "ca-panel",
      "aria-haspopup": "dialog",
    },
    chatIcon(),
    el("span", {}, TITLE),
  );
  const restartButton = el(
    "button",
    { type: "button", className: "restart", hidden: true },
    "Start over",
  );
  const closeButton = el(
    "button",
    { type: "button", className: "close", "aria-label": `Close ${TITLE}` },
    "×",
  );
  const log = el("div", {
    className: "log",
    role: "log",
    "aria-live": "polite",
    "aria-label": "Conversation",
    tabindex: "0",
  });
  const reader = el("section", {
    className: "reader",
    "aria-label": "Document",
    hidden: true,
  });
  const input = el("textarea", {
    id: "ca-question",
    rows: "1",
    maxlength: String(MAX_QUESTION_CHARS),
    placeholder: "Ask about these documents…",
    autocomplete: "off",
  });
  const send = el("button", { type: "submit", className: "send" }, "Ask");
  const form = el(
    "form",
    { "aria-label": "Ask a question" },
    el("label", { for: "ca-question", className: "visually-hidden" }, "Your question"),
    input,
    send,
  );
  const panel = el(
    "section",
    {
      id: "ca-panel",
      className: "panel",
      role: "dialog",
      "aria-modal": "false",
      "aria-labelledby": "ca-title",
      hidden: true,
    },
    el(
      "header",
      {},
      el(
        "div",
        { className: "heading" },
        el("h2", { id: "ca-title" }, TITLE),
        el("p", {}, "Answers quote this archive's documents"),
      ),
      restartButton,
      closeButton,
    ),
    log,
    reader,
    form,
    el(
      "p",
      { className: "footnote" },
      "Every answer cites the archive; follow the sources to read them in context.",
    ),
  );
  const intro = el(
    "div",
    { className: "msg bot intro" },
    el(
      "p",
      {},
      "Ask a question about the documents in this archive. The answer quotes them and " +
        "links to each source. Follow-up questions are read in the light of the earlier ones.",
    ),
  );
  log.append(intro);
  shadow.append(style, el("div", { className: "root" }, launcher, panel));

  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    input.focus();
  }

  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  launcher.addEventListener("click", () => (panel.hidden ? open() : close()));
  closeButton.addEventListener("click", close);
  restartButton.addEventListener("click", () => {
    if (send.disabled) return; // an answer is on its way
    turns.length = 0;
    closeDocument();
    log.replaceChildren(intro);
    restartButton.hidden = true;
    input.focus();
  });
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      if (reader.hidden) close();
      else closeDocument();
    }
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  input.addEventListener("input", () => {
    input.style.height = "auto";
    input.style.height = `${input.scrollHeight + 2}px`;
  });

  // -- asking ---------------------------------------------------------------------------------

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const question = input.value.trim();
    if (!question || send.disabled) return;
    closeDocument();
    input.value = "";
    input.style.height = "auto";
    const asked = show(el("div", { className: "msg user" }, question));
    const pending = show(
      el("div", { className: "msg bot pending", "aria-busy": "true" }, "Searching the archive…"),
    );
    send.disabled = true;
    let draft = null; // the text as the language model writes it, until the answer replaces it
    const write = (text) => {
      if (!draft) {
        draft = el("p");
        pending.classList.add("streaming");
        pending.replaceChildren(draft);
      }
      draft.append(text);
      // Follow the text down, but never scroll its question out of view.
      log.scrollTop = Math.min(log.scrollHeight - log.clientHeight, asked.offsetTop - 8);
    };
    try {
      const answer = await ask(question, write);
      pending.replaceWith(renderAnswer(answer));
      turns.push(
        { role: "user", content: question },
        { role: "assistant", content: answer.answer.slice(0, HISTORY_TURN_CHARS) },
      );
      restartButton.hidden = false;
    } catch (error) {
      pending.replaceWith(el("div", { className: "msg error", role: "alert" }, error.message));
    } finally {
      send.disabled = false;
      log.scrollTop = asked.offsetTop - 8; // the reply from its start, under its question
      input.focus();
    }
  });

  function show(node) {
    log.append(node);
    log.scrollTop = log.scrollHeight;
    return node;
  }

  let streams = true; // until the server turns out to predate api/ask/stream

  /** The answer to ``question``; ``write`` gets the model's text as it streams, if any. */
  async function ask(question, write) {
    const body = {
      question,
      history: turns.slice(-HISTORY_TURNS),
      filters: { collections: COLLECTIONS },
    };
    if (streams) {
      const response = await post("api/ask/stream", body);
      if (response.status !== 404 && response.status !== 405) return readStream(response, write);
      streams = false;
    }
    return readAnswer(await post("api/ask", body));
  }

  async function post(path, body) {
    try {
      return await fetch(new URL(path, API), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
    } catch {
      console.warn(
        `Cable Assistant: no answer from ${API.origin}. Is the server running, and is ` +
          `${location.origin} in its CABLES_CORS_ORIGINS?`,
      );
      throw new Error("The assistant cannot be reached right now. Please try again later.");
    }
  }

  async function readAnswer(response) {
    const payload = await response.json().catch(() => ({}));
    if (response.ok) return payload;
    throw refusal(response, payload);
  }

  /** Why the server refused: too many questions from here, too busy, or a bad question. */
  function refusal(response, payload) {
    const seconds = response.headers.get("Retry-After");
    if (response.status === 429) {
      return new Error(
        `Too many questions at once: please wait ${seconds || "a few"} seconds and ask again.`,
      );
    }
    if (response.status === 503) {
      const when = seconds ? `in ${seconds} s` : "in a moment";
      return new Error(`The assistant is busy: please try again ${when}.`);
    }
    if (response.status === 422) {
      return new Error(
        `Please rephrase the question: ${payload.error || "it was not understood"}.`,
      );
    }
    return failed();
  }

  function failed() {
    return new Error("The assistant could not answer this time. Please try again later.");
  }

  /** Server-sent events: "delta" pieces of text, then the "answer" (or an "error"). */
  async function readStream(response, write) {
    const type = response.headers.get("Content-Type") || "";
    if (!response.ok || !response.body || !type.startsWith("text/event-stream")) {
      return readAnswer(response); // refused before the stream began: a JSON error
    }
    try {
      for await (const event of events(response.body)) {
        if (event.name === "delta") write(event.data.text);
        else if (event.name === "answer") return event.data;
        else if (event.name === "error") break;
      }
    } catch (error) {
      console.warn("Cable Assistant: the answer stream broke off:", error);
    }
    throw failed();
  }

  /** The events of a text/event-stream body, as they arrive. */
  async function* events(body) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let blank;
        while ((blank = /\r?\n\r?\n/.exec(buffer))) {
          yield parseEvent(buffer.slice(0, blank.index));
          buffer = buffer.slice(blank.index + blank[0].length);
        }
      }
    } finally {
      reader.cancel().catch(() => {});
    }
  }

  /** One event's name and its data, parsed as JSON; comments (keep-alive pings) give none. */
  function parseEvent(block) {
    let name = "message";
    const data = [];
    for (const line of block.split(/\r?\n/)) {
      const colon = line.indexOf(":");
      if (colon === 0) continue;
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") name = value;
      else if (field === "data") data.push(value);
    }
    return { name, data: data.length ? JSON.parse(data.join("\n")) : null };
  }

  // -- rendering an answer ----------------------------------------------------------------------

  function renderAnswer(answer) {
    const message = el("div", { className: "msg bot" });
    // Why the language model's answer is not the one shown, or what was removed from it.
    for (const warning of answer.warnings || []) {
      message.append(el("p", { className: "warning" }, warning));
    }
    const citations = new Map(answer.citations.map((c) => [c.ref, c]));
    for (const paragraph of answer.paragraphs) {
      message.append(renderParagraph(paragraph, citations));
    }
    if (answer.query_used && answer.query_used !== answer.question) {
      message.append(el("p", { className: "searched" }, `Searched for: ${answer.query_used}`));
    }
    for (const note of answer.notes || []) message.append(el("p", { className: "note" }, note));
    if (answer.citations.length) message.append(sourceCards(answer.citations));
    if (answer.closest.length) message.append(closestList(answer.closest));
    return message;
  }

  /** A paragraph as the server's Paragraph.render writes it: label, then “quote” [n] pieces. */
  function renderParagraph(paragraph, citations) {
    const node = el("p");
    if (paragraph.label) {
      node.append(el("span", { className: "label" }, paragraph.label), ": ");
    }
    for (const piece of paragraph.pieces) {
      if (piece.type === "quote") node.append(`“${piece.text}” `, citeRef(piece.ref, citations));
      else if (piece.type === "ref") node.append(citeRef(piece.ref, citations));
      else node.append(piece.text);
    }
    return node;
  }

  function citeRef(ref, citations) {
    const citation = citations.get(ref);
    return citation ? refControl(citation) : `[${ref}]`;
  }

  /** The archive's own page for an item, when the server has a URL template for it. */
  function archivePage(item) {
    return item.link && item.link !== item.url ? safeLink(item.link) : null;
  }

  /** A text fragment (#:~:text=) that makes the browser scroll to ``quote`` on the page. */
  function textFragment(quote) {
    const words = quote.replace(/\s+/g, " ").trim().split(" ");
    const part = (some) => encodeURIComponent(some.join(" ")).replace(/-/g, "%2D");
    return words.length > 8 ? `${part(words.slice(0, 4))},${part(words.slice(-4))}` : part(words);
  }

  /** [n]: the quote on the archive's page, or else in the document, in the panel. */
  function refControl(citation) {
    const label = `Source ${citation.ref}: ${citation.title}`;
    const page = archivePage(citation);
    if (page) {
      const href = `${page.split("#")[0]}#:~:text=${textFragment(citation.quote)}`;
      return linkTo(href, `[${citation.ref}]`, { className: "ref", "aria-label": label });
    }
    return reading(
      el("button", { type: "button", className: "ref", "aria-label": label }, `[${citation.ref}]`),
      citation.doc_id,
      citation,
    );
  }

  /** ``node`` opens the document in the panel when clicked, scrolled to ``citation``'s quote. */
  function reading(node, docId, citation = null) {
    node.addEventListener("click", () => openDocument(docId, citation));
    return node;
  }

  function titleControl(item, citation = null) {
    const page = archivePage(item);
    if (page) return linkTo(page, item.title, { className: "source" });
    return reading(
      el("button", { type: "button", className: "source" }, item.title),
      item.doc_id,
      citation,
    );
  }

  /** One card per document: its quotes in document order, each highlighted in its context. */
  function sourceCards(citations) {
    const documents = new Map();
    for (const citation of citations) {
      documents.set(citation.doc_id, [...(documents.get(citation.doc_id) || []), citation]);
    }
    const list = el("ol");
    for (const cited of documents.values()) {
      const ordered = [...cited].sort((a, b) => a.char_start - b.char_start || a.ref - b.ref);
      list.append(
        el(
          "li",
          { className: "card" },
          el("span", { className: "refs" }, cited.map((c) => `[${c.ref}]`).join("")),
          " ",
          titleControl(cited[0], ordered[0]),
          el("span", { className: "meta" }, metaLine(cited[0])),
          ordered.map(quoteInContext),
        ),
      );
    }
    return el("div", { className: "sources" }, el("h3", {}, "Sources"), list);
  }

  function quoteInContext(citation) {
    const passage = Array.from(citation.passage); // offsets count code points, as in Python
    const start = Math.max(0, citation.char_start - citation.passage_start);
    const end = Math.max(start, citation.char_end - citation.passage_start);
    let before = passage.slice(Math.max(0, start - CONTEXT_CHARS), start).join("");
    let after = passage.slice(end, end + CONTEXT_CHARS).join("");
    if (start > CONTEXT_CHARS) before = `… ${before.replace(/^\S*\s/, "")}`;
    if (passage.length - end > CONTEXT_CHARS) after = `${after.replace(/\s\S*$/, "")} …`;
    return el(
      "p",
      { className: "quote" },
      refControl(citation),
      " ",
      before,
      el("mark", {}, passage.slice(start, end).join("")),
      after,
    );
  }

  function closestList(sources) {
    const list = el("ol");
    for (const source of sources) {
      list.append(
        el("li", {}, titleControl(source), el("span", { className: "meta" }, metaLine(source))),
      );
    }
    return el("div", { className: "sources" }, el("h3", {}, "Closest documents"), list);
  }

  function metaLine(item) {
    return [item.place, item.date, item.archive_ref].filter(Boolean).join(" · ");
  }

  // -- the document, read in the panel ----------------------------------------------------------

  let readingFrom = 0; // where the conversation was scrolled when a document was opened

  async function openDocument(docId, citation = null) {
    if (reader.hidden) readingFrom = log.scrollTop;
    const body = el("div", { className: "reader-body", tabindex: "0" });
    body.append(el("p", { className: "pending" }, "Opening the document…"));
    reader.replaceChildren(readerBar(), body);
    log.hidden = true;
    reader.hidden = false;
    readerBack.focus();
    try {
      const path = docId.split("/").map(encodeURIComponent).join("/");
      const response = await fetch(new URL(`api/documents/${path}`, API));
      const payload = await response.json().catch(() => ({}));
      if (!response.ok) {
        throw response.status === 404
          ? new Error("This document is no longer in the archive.")
          : refusal(response, payload);
      }
      const quote = citation && [citation.char_start, citation.char_end];
      body.replaceChildren(...documentView(payload, quote));
      const mark = body.querySelector("mark");
      // The quote a third of the way down, or higher if it is tall, so all of it shows.
      const room = mark && body.clientHeight - mark.getBoundingClientRect().height - 8;
      body.scrollTop = mark ? mark.offsetTop - Math.max(8, Math.min(body.clientHeight / 3, room)) : 0;
    } catch (error) {
      body.replaceChildren(el("p", { className: "msg error", role: "alert" }, error.message));
    }
  }

  const readerBack = el("button", { type: "button", className: "back" }, "← Back to the answer");
  readerBack.addEventListener("click", closeDocument);

  function readerBar() {
    return el("div", { className: "reader-bar" }, readerBack);
  }

  function closeDocument() {
    if (reader.hidden) return;
    reader.hidden = true;
    log.hidden = false;
    log.scrollTop = readingFrom;
    input.focus();
  }

  function documentView(doc, quote) {
    const parts = [
      el("p", { className: "kicker" }, doc.collection),
      el("h3", { className: "doc-title" }, doc.title),
      el("p", { className: "meta" }, metaLine(doc)),
    ];
    const page = quote && pageAt(doc.pages, quote[0]);
    if (quote) {
      const on = page ? ` on ${pageLabel(page)}` : "";
      parts.push(el("p", { className: "where" }, `The quotation is highlighted${on}.`));
    }
    const refersTo = doc.references.map((r) =>
      r.doc_id ? reading(threadButton(r.text), r.doc_id) : el("span", {}, r.text),
    );
    const referredBy = doc.referenced_by.map((id) => reading(threadButton(id), id));
    if (refersTo.length) parts.push(threadLine("Refers to", refersTo));
    if (referredBy.length) parts.push(threadLine("Referred to by", referredBy));
    parts.push(documentText(doc, quote));
    const link = safeLink(doc.link);
    if (link) parts.push(el("p", {}, linkTo(link, "View in the source archive ↗")));
    return parts;
  }

  function threadButton(text) {
    return el("button", { type: "button", className: "thread-link" }, text);
  }

  function threadLine(name, items) {
    const line = el("p", { className: "thread" }, el("span", { className: "thread-name" }, name));
    items.forEach((item, i) => line.append(i ? ", " : " ", item));
    return line;
  }

  function pageAt(pages, offset) {
    let found = null;
    for (const page of pages) if (page.char_start <= offset) found = page.label;
    return found;
  }

  function pageLabel(label) {
    return /^\d/.test(label) ? `p. ${label}` : label;
  }

  /** The text, cut where a page, a gap or the quote begins or ends (as render.document_text). */
  function documentText(doc, quote) {
    const chars = Array.from(doc.text);
    const size = chars.length;
    const clamp = (offset) => Math.min(Math.max(offset, 0), size);
    const pages = new Map(doc.pages.map((page) => [clamp(page.char_start), page.label]));
    const gaps = doc.withheld.map((g) => [clamp(g.char_start), clamp(g.char_end), g.kind]);
    const quoted = quote ? quote.map(clamp) : [size, size];
    const cuts = [...new Set([0, size, ...pages.keys(), ...quoted, ...gaps.flatMap((g) => g.slice(0, 2))])];
    cuts.sort((a, b) => a - b);
    const text = el("div", { className: "text" });
    for (let i = 0; i + 1 < cuts.length; i++) {
      const [start, end] = [cuts[i], cuts[i + 1]];
      if (pages.has(start)) {
        text.append(el("span", { className: "page-mark" }, pageLabel(pages.get(start))));
      }
      let piece = chars.slice(start, end).join("");
      const gap = gaps.find(([from, to]) => from <= start && end <= to);
      if (gap) {
        const kind = GAPS[gap[2]] ? gap[2] : "withheld";
        const why = GAPS[kind] || "Withheld: not declassified";
        piece = el("span", { className: `gap gap-${kind}`, title: why }, piece);
      }
      if (quoted[0] <= start && end <= quoted[1]) piece = el("mark", {}, piece);
      text.append(piece);
    }
    return text;
  }

  function mount() {
    document.body.append(host);
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
