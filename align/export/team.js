"use strict";
// The team page (`sejajar serve --db`, at /review/): sign in, the caller's documents, then a
// document's page: the offline workbench (review.js) on a table built here from the API,
// with a store that saves each decision through the outbox (outbox.js). Article text goes
// into the page through textContent only, never parsed as HTML.
(function () {
  const $ = (id) => document.getElementById(id);
  const SAFE_CLASS = /^[a-z0-9-]{1,40}$/;

  async function call(method, path, body, csrf) {
    const headers = body === undefined ? {} : { "Content-Type": "application/json" };
    if (csrf) headers["X-CSRF-Token"] = csrf;
    const answer = await fetch(path, {
      method: method,
      credentials: "same-origin",
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = {};
    try {
      data = await answer.json();
    } catch (e) {
      // Not JSON (a proxy's page): the status says enough.
    }
    return { status: answer.status, data: data };
  }

  function fail(message) {
    $("failure").textContent = message;
    $("failure").hidden = false;
    ready();
  }

  function ready() {
    document.documentElement.classList.add("ready");
  }

  function signIn() {
    $("sign-in").hidden = false;
    $("workbench").hidden = true;
    $("documents").hidden = true;
    $("account").hidden = true;
    $("sign-in-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { username: $("username").value, password: $("password").value };
      let answer;
      try {
        answer = await call("POST", "/v1/session", body);
      } catch (e) {
        answer = { status: 0, data: { error: "The server cannot be reached" } };
      }
      if (answer.status === 200) {
        location.reload();
        return;
      }
      $("sign-in-error").textContent = answer.data.error || "Sign-in failed";
      $("sign-in-error").hidden = false;
    });
    $("username").focus();
    ready();
  }

  function showStatus(element, waiting, state) {
    element.dataset.waiting = String(waiting);
    element.dataset.state = state;
    element.classList.toggle("waiting", waiting > 0 && state !== "saving");
    const plural = waiting === 1 ? " decision" : " decisions";
    element.textContent =
      waiting === 0
        ? "All decisions saved"
        : state === "unreachable"
          ? waiting + plural + " waiting: the server cannot be reached, retrying"
          : state === "signed-out"
            ? waiting + plural + " waiting: sign in again to send them"
            : "Saving " + waiting + plural;
  }

  function dropped(element) {
    return (entry, message) => {
      element.title = "Pair " + entry.pair + " of document " + entry.document + ": " + message;
    };
  }

  // A conflict on a document not open here: said, as the page of that document would.
  function elsewhere(element) {
    return (entry, current) =>
      dropped(element)(entry, "saved meanwhile by " + current.by + "; yours was not saved");
  }

  async function listDocuments(session) {
    $("documents").hidden = false;
    const sync = $("documents-sync");
    const box = window.sejajarOutbox(session, {
      onConflict: elsewhere(sync),
      onDropped: dropped(sync),
      onSignedOut: () => location.reload(),
      onStatus: (waiting, state) => showStatus(sync, waiting, state),
    });
    box.flush();
    const answer = await call("GET", "/v1/review/documents");
    if (answer.status !== 200) return fail(answer.data.error || "Could not list the documents");
    for (const doc of answer.data) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = "/review/documents/" + Number(doc.id);
      link.textContent = doc.project + " / " + doc.name;
      const progress = document.createElement("span");
      progress.className = "progress";
      progress.textContent = doc.reviewed + " / " + doc.pairs + " reviewed";
      item.append(link, progress);
      $("document-list").append(item);
    }
    ready();
  }

  function cell(className, lang) {
    const td = document.createElement("td");
    if (className) td.className = className;
    if (lang) td.lang = lang;
    return td;
  }

  function span(className, text, title) {
    const element = document.createElement("span");
    element.className = className;
    element.textContent = text;
    if (title) element.title = title;
    return element;
  }

  // The same rows as the offline page's (html.py's _row), built with textContent.
  function buildRow(pair) {
    const row = document.createElement("tr");
    const flags = Array.isArray(pair.flags) ? pair.flags : [];
    const classes = ["pair", "kind-" + pair.kind];
    for (const flag of flags) classes.push(String(flag.name));
    if (flags.length) classes.push("flagged");
    row.className = classes.filter((c) => SAFE_CLASS.test(c)).join(" ");
    row.dataset.id = String(pair.id);
    row.tabIndex = -1;
    const number = cell("n");
    number.textContent = (pair.source_ids || []).join(",") || "-";
    const source = cell("", "id");
    if (pair.kind !== "sentence") source.append(span("kind", pair.kind));
    source.append(document.createTextNode(pair.source));
    const target = cell("target", "en");
    target.append(span("text", pair.original_target));
    if (pair.moved) {
      const where = (pair.target_ids || []).map((j) => j + 1).join(", ");
      target.append(span("from", "from English #" + where, "moved block"));
    }
    for (const flag of flags) target.append(span("flag", flag.name, flag.reason));
    if (typeof pair.score === "number") target.append(span("score", pair.score.toFixed(2)));
    const status = cell("status");
    if (pair.by) status.title = "saved by " + pair.by + " at " + pair.at;
    row.append(number, source, target, status);
    return row;
  }

  function buildTable(doc) {
    const table = $("pairs");
    let body = null;
    let paragraph = null;
    for (const pair of doc.pairs) {
      if (body === null || pair.paragraph !== paragraph) {
        paragraph = pair.paragraph;
        body = document.createElement("tbody");
        body.className = "paragraph";
        body.dataset.paragraph = String(paragraph);
        table.append(body);
      }
      body.append(buildRow(pair));
    }
  }

  // A decision as the API has it -> as the workbench keeps it ({d, t?}; null: pending).
  function fromApi(decision, target) {
    if (decision === "edited") return { d: "accepted", t: target };
    if (decision === "accepted" || decision === "rejected") return { d: decision };
    return null;
  }

  function toApi(decision, version) {
    if (!decision) return { decision: "pending", version: version };
    if (typeof decision.t === "string") {
      return { decision: "edited", target: decision.t, version: version };
    }
    return { decision: decision.d, version: version };
  }

  function describe(body) {
    return body.decision === "edited" ? "edited: \u201c" + body.target + "\u201d" : body.decision;
  }

  async function openDocument(session, id) {
    const answer = await call("GET", "/v1/review/documents/" + id);
    if (answer.status !== 200) return fail(answer.data.error || "Could not open the document");
    const doc = answer.data;
    document.title = doc.name + " \u00b7 sejajar";
    $("title").textContent = doc.project + " / " + doc.name;
    $("signature").textContent = doc.signature;
    const flagged = doc.pairs.filter((p) => p.flags && p.flags.length).length;
    const moved = doc.pairs.filter((p) => p.moved).length;
    const movedStat = moved ? " \u00b7 " + moved + " moved" : "";
    $("stats").textContent = doc.pairs.length + " pairs \u00b7 " + flagged + " to check" + movedStat;
    buildTable(doc);
    $("workbench").hidden = false;

    // The version the next save of each pair names: the server's, past any still in the outbox.
    const next = new Map(doc.pairs.map((p) => [p.id, p.version]));
    const decisions = {};
    for (const p of doc.pairs) {
      const decision = fromApi(p.decision, p.target);
      if (decision) decisions[p.id] = decision;
    }
    let set = null;
    const box = window.sejajarOutbox(session, {
      onConflict: (entry, current, latest) => {
        if (entry.document !== doc.id) return elsewhere($("sync"))(entry, current);
        next.set(entry.pair, current.version);
        set(entry.pair, fromApi(current.decision, current.target));
        conflict(entry.pair, current, latest.body);
      },
      onDropped: dropped($("sync")),
      onSignedOut: () => location.reload(),
      onStatus: (waiting, state) => showStatus($("sync"), waiting, state),
    });
    for (const entry of box.entries()) {
      if (entry.document !== doc.id || !next.has(entry.pair)) continue;
      const body = entry.body;
      const decision = fromApi(body.decision, body.target);
      if (decision) decisions[entry.pair] = decision;
      else delete decisions[entry.pair];
      next.set(entry.pair, Math.max(next.get(entry.pair), body.version + 1));
    }

    function save(pair, body) {
      next.set(pair, body.version + 1);
      box.add(doc.id, pair, body);
    }

    // The newer decision is shown; the reviewer's own waits in the note until asked for.
    function conflict(pair, current, mine) {
      const row = document.querySelector('tr.pair[data-id="' + Number(pair) + '"]');
      const old = row.querySelector(".conflict-note");
      if (old) old.remove();
      row.classList.add("conflict");
      const note = document.createElement("span");
      note.className = "conflict-note";
      note.setAttribute("role", "alert");
      note.textContent =
        "Saved meanwhile by " + current.by + " (" + current.at + "): " + describe(current) +
        ". Yours, " + describe(mine) + ", was not saved.";
      const apply = document.createElement("button");
      apply.type = "button";
      apply.className = "apply-mine";
      apply.textContent = "Apply mine";
      const keep = document.createElement("button");
      keep.type = "button";
      keep.className = "keep-theirs";
      keep.textContent = "Keep theirs";
      const close = () => {
        note.remove();
        row.classList.remove("conflict");
      };
      apply.addEventListener("click", (event) => {
        event.stopPropagation();
        close();
        set(pair, fromApi(mine.decision, mine.target));
        save(pair, Object.assign({}, mine, { version: next.get(pair) }));
      });
      keep.addEventListener("click", (event) => {
        event.stopPropagation();
        close();
      });
      note.append(apply, keep);
      row.querySelector("td.target").append(note);
    }

    const store = {
      decisions: decisions,
      saved: (id, decision) => save(Number(id), toApi(decision, next.get(Number(id)))),
    };
    // The workbench's records hold the English as imported (what an edit is compared with).
    const records = doc.pairs.map((p) => Object.assign({}, p, { target: p.original_target }));
    const data = { name: doc.name, signature: doc.signature, records: records };
    set = window.sejajarWorkbench(data, store);
    if (moved) {
      $("moved-count").textContent = String(moved);
      $("moved-filter").hidden = false;
      const script = document.createElement("script");
      script.src = "/review/static/moved.js";
      script.addEventListener("load", ready);
      document.body.append(script);
    } else {
      ready();
    }
    box.flush();
  }

  async function start() {
    let answer;
    try {
      answer = await call("GET", "/v1/session");
    } catch (e) {
      return fail("The server cannot be reached: reload the page when it is back");
    }
    if (answer.status === 401) return signIn();
    if (answer.status !== 200) return fail(answer.data.error || "The server refused the page");
    const session = answer.data;
    $("account").hidden = false;
    $("who").textContent = session.user + " (" + session.role + ")";
    $("sign-out").addEventListener("click", async () => {
      await call("DELETE", "/v1/session", undefined, session.csrf);
      location.assign("/review/");
    });
    const found = /^\/review\/documents\/([0-9]{1,18})$/.exec(location.pathname);
    if (found) await openDocument(session, Number(found[1]));
    else await listDocuments(session);
  }

  start();
})();
