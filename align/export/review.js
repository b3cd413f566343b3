"use strict";
// The reviewer's workbench. Reads pairs from the JSON data block, never from markup, and
// writes text only through textContent: nothing from an article is ever parsed as HTML.
// One code path for both pages: the page opened from disk keeps its decisions in the
// browser's local storage (localStore below); the team page that `sejajar serve --db` serves
// (team.js) builds the same table from the API and passes a store that saves to the server.
(function () {
  // store: {decisions: {id: {d, t?}}, saved(id, decision)}; a decision's absence is pending.
  // Returns set(id, decision), for a store that learns of a decision made elsewhere.
  function workbench(data, store) {
    const table = document.getElementById("pairs");
    const rows = Array.from(table.querySelectorAll("tr.pair"));
    const byId = new Map(rows.map((row) => [Number(row.dataset.id), row]));
    const records = new Map(data.records.map((r) => [r.id, r]));
    const counter = document.getElementById("counter");
    const search = document.getElementById("search");
    const onlyFlagged = document.getElementById("only-flagged");
    const decisions = store.decisions;
    let current = null;
    let editing = null;
    function textCell(row) {
      return row.querySelector("td.target .text");
    }

    function show(row) {
      const id = row.dataset.id;
      const decision = decisions[id];
      row.classList.toggle("accepted", !!decision && decision.d === "accepted");
      row.classList.toggle("rejected", !!decision && decision.d === "rejected");
      row.classList.toggle("edited", !!decision && typeof decision.t === "string");
      const record = records.get(Number(id));
      textCell(row).textContent =
        decision && typeof decision.t === "string" ? decision.t : record.target;
      row.querySelector("td.status").textContent = !decision
        ? ""
        : typeof decision.t === "string"
          ? "edited"
          : decision.d;
    }

    function count() {
      const reviewed = rows.filter((row) => decisions[row.dataset.id]).length;
      counter.textContent = reviewed + " / " + rows.length + " reviewed";
    }

    function visible(row) {
      return !row.hidden && !(onlyFlagged.checked && !row.classList.contains("flagged"));
    }

    // Focus follows the selection, except while the reviewer types in the search box.
    function select(row, takeFocus = true) {
      if (!row) return;
      if (current) current.classList.remove("current");
      current = row;
      row.classList.add("current");
      if (takeFocus) row.focus({ preventScroll: true });
      row.scrollIntoView({ block: "nearest" });
    }

    function step(direction, flaggedOnly, takeFocus = true) {
      const start = current ? rows.indexOf(current) : direction > 0 ? -1 : rows.length;
      for (let i = start + direction; i >= 0 && i < rows.length; i += direction) {
        const row = rows[i];
        if (visible(row) && (!flaggedOnly || row.classList.contains("flagged"))) {
          select(row, takeFocus);
          return;
        }
      }
    }

    function decide(value) {
      if (!current) return;
      const id = current.dataset.id;
      if (value === null) {
        delete decisions[id];
      } else {
        decisions[id] = Object.assign({}, decisions[id], { d: value });
        if (value === "rejected") delete decisions[id].t;
      }
      store.saved(id, decisions[id]);
      show(current);
      count();
    }

    function startEdit() {
      if (!current) return;
      editing = current;
      const cell = textCell(current);
      cell.contentEditable = "plaintext-only";
      cell.focus();
      const range = document.createRange();
      range.selectNodeContents(cell);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }

    function stopEdit(keep) {
      const row = editing;
      editing = null;
      const cell = textCell(row);
      cell.contentEditable = "false";
      if (keep) {
        const text = cell.textContent.replace(/\s+/g, " ").trim();
        const original = records.get(Number(row.dataset.id)).target;
        decisions[row.dataset.id] =
          text === original ? { d: "accepted" } : { d: "accepted", t: text };
        store.saved(row.dataset.id, decisions[row.dataset.id]);
      }
      show(row);
      count();
      select(row);
    }

    function filter() {
      const query = search.value.trim().toLowerCase();
      for (const row of rows) {
        row.hidden = query !== "" && !row.textContent.toLowerCase().includes(query);
      }
      table.classList.toggle("only-flagged", onlyFlagged.checked);
      if (current && !visible(current)) step(1, false, document.activeElement !== search);
    }

    function exported() {
      return rows.map((row) => {
        const record = records.get(Number(row.dataset.id));
        const decision = decisions[row.dataset.id];
        const edited = !!decision && typeof decision.t === "string";
        return Object.assign({}, record, {
          decision: decision ? decision.d : "pending",
          edited: edited,
          original_target: record.target,
          target: edited ? decision.t : record.target,
          signature: data.signature,
          document: data.document,
          links: data.links,
        });
      });
    }

    function download(name, text, type) {
      const url = URL.createObjectURL(new Blob([text], { type: type }));
      const link = document.createElement("a");
      link.href = url;
      link.download = name;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    }

    function clean(text) {
      return text.replace(/\s+/g, " ").trim();
    }

    function exportJsonl() {
      const lines = exported().map((r) => JSON.stringify(r) + "\n");
      download(data.name + ".review.jsonl", lines.join(""), "application/x-ndjson");
    }

    // The first line names the page (document digest, signature, its links) and how many pairs
    // follow; each pair carries its id and the digest's first 12 digits: apply-review checks
    // that the file is whole, each pair there once, every line of this page.
    function exportTsv() {
      const pairs = exported();
      const page = data.document.slice(0, 12);
      const header =
        ["# sejajar review", data.document, data.signature, data.links, pairs.length].join("\t") +
        "\n";
      const lines = pairs.map(
        (r) => [r.decision, clean(r.source), clean(r.target), r.id, page].join("\t") + "\n",
      );
      download(data.name + ".review.tsv", header + lines.join(""), "text/tab-separated-values");
    }

    // The team page has no export buttons: `sejajar review export` writes the accepted pairs.
    const exportButtons = { "export-jsonl": exportJsonl, "export-tsv": exportTsv };
    for (const [id, action] of Object.entries(exportButtons)) {
      const button = document.getElementById(id);
      if (button) button.addEventListener("click", action);
    }
    onlyFlagged.addEventListener("change", filter);
    search.addEventListener("input", filter);
    for (const row of rows) row.addEventListener("click", () => editing || select(row));

    document.addEventListener("keydown", (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (editing) {
        if (event.key === "Enter" && !event.shiftKey) {
          event.preventDefault();
          stopEdit(true);
        } else if (event.key === "Escape") {
          event.preventDefault();
          stopEdit(false);
        }
        return;
      }
      if (event.target === search) {
        if (event.key === "Escape" || event.key === "Enter") search.blur();
        return;
      }
      const actions = {
        j: () => step(1, false),
        ArrowDown: () => step(1, false),
        k: () => step(-1, false),
        ArrowUp: () => step(-1, false),
        n: () => step(1, true),
        N: () => step(-1, true),
        a: () => decide("accepted"),
        r: () => decide("rejected"),
        u: () => decide(null),
        e: startEdit,
        Enter: startEdit,
        f: () => {
          onlyFlagged.checked = !onlyFlagged.checked;
          filter();
        },
        "/": () => search.focus(),
      };
      const action = actions[event.key];
      if (action) {
        event.preventDefault();
        action();
      }
    });

    rows.forEach(show);
    count();
    return function set(id, decision) {
      if (decision) decisions[id] = decision;
      else delete decisions[id];
      show(byId.get(Number(id)));
      count();
    };
  }

  // The page opened from disk: decisions under the page's key in local storage.
  function localStore(storageKey) {
    const decisions = load();
    // Storage. Every file:// page shares one origin and one quota, so each page keeps its
    // decisions under its document digest, and an index records when each sejajar page last
    // saved: when the quota is full, other pages' decisions go, least recently used first.
    const INDEX = "sejajar:index";
    const PAGE_KEY = /^sejajar:[0-9a-f]{24,64}$/;
    const warning = storageWarning();

    // The object stored under ``key``; {} when there is none or it is not one.
    function readObject(key) {
      try {
        const stored = JSON.parse(localStorage.getItem(key) || "{}");
        return stored && typeof stored === "object" && !Array.isArray(stored) ? stored : {};
      } catch (e) {
        return {};
      }
    }

    function load() {
      return readObject(storageKey);
    }

    function readIndex() {
      return readObject(INDEX);
    }

    // Other sejajar pages' keys, least recently used first (keys the index lacks first of all).
    function staleKeys() {
      const index = readIndex();
      const keys = [];
      for (let i = 0; i < localStorage.length; i++) {
        const key = localStorage.key(i);
        if (key !== storageKey && PAGE_KEY.test(key)) keys.push(key);
      }
      return keys.sort((a, b) => (Number(index[a]) || 0) - (Number(index[b]) || 0));
    }

    function quotaFull(e) {
      return !!e && (e.name === "QuotaExceededError" || e.name === "NS_ERROR_DOM_QUOTA_REACHED");
    }

    // One decision saved onto what is stored now, not this tab's whole map: the same page open
    // in another tab keeps its decisions (the storage event below shows them here too).
    // Decisions of this tab not yet stored (a full storage refused them): sent with the next.
    const unsaved = new Set();
    function save(id) {
      unsaved.add(String(id));
      const latest = load();
      for (const each of unsaved) {
        if (decisions[each]) latest[each] = decisions[each];
        else delete latest[each];
      }
      const value = JSON.stringify(latest);
      const evicted = [];
      let stale = null;
      for (;;) {
        try {
          localStorage.setItem(storageKey, value);
          break;
        } catch (e) {
          if (quotaFull(e) && stale === null) stale = staleKeys();
          if (!quotaFull(e) || stale.length === 0) {
            warning.hidden = false;
            return;
          }
          const key = stale.shift();
          localStorage.removeItem(key);
          evicted.push(key);
        }
      }
      unsaved.clear();
      warning.hidden = true;
      touch(evicted);
    }

    // Marks this page as just used (and forgets evicted ones) in the index.
    function touch(evicted) {
      try {
        const index = readIndex();
        for (const key of evicted) delete index[key];
        index[storageKey] = Date.now();
        localStorage.setItem(INDEX, JSON.stringify(index));
      } catch (e) {
        // The decisions are saved; a stale index only changes which page is evicted first.
      }
    }

    // A lasting warning, with an offer to export, for as long as decisions cannot be saved.
    function storageWarning() {
      const box = document.createElement("div");
      box.id = "storage-warning";
      box.setAttribute("role", "alert");
      box.hidden = true;
      const text = document.createElement("span");
      text.textContent =
        "Your decisions cannot be saved in this browser (its storage is full or turned off)" +
        " and will be lost when the page closes: export them now. ";
      const button = document.createElement("button");
      button.type = "button";
      button.id = "export-now";
      button.textContent = "Export JSONL now";
      button.addEventListener("click", () => document.getElementById("export-jsonl").click());
      box.append(text, button);
      document.querySelector("header").append(box);
      return box;
    }
    try {
      if (localStorage.getItem(storageKey) !== null) touch([]);
    } catch (e) {
      // No storage at all: the first decision shows the warning.
    }
    // Another tab of this page saved: its decisions are shown here, and said so once.
    function follow(set) {
      window.addEventListener("storage", (event) => {
        if (event.key !== storageKey || event.storageArea !== localStorage) return;
        let theirs = {};
        try {
          theirs = JSON.parse(event.newValue || "{}") || {};
        } catch (e) {
          return;
        }
        const ids = new Set([...Object.keys(theirs), ...Object.keys(decisions)]);
        for (const id of ids) {
          if (JSON.stringify(theirs[id]) !== JSON.stringify(decisions[id])) set(id, theirs[id]);
        }
        tabsNotice.hidden = false;
      });
    }
    const tabsNotice = document.createElement("div");
    tabsNotice.id = "tabs-notice";
    tabsNotice.setAttribute("role", "status");
    tabsNotice.hidden = true;
    tabsNotice.textContent =
      "This page is open in another tab too: the decisions made there are shown here as well.";
    document.querySelector("header").append(tabsNotice);
    return { decisions: decisions, saved: save, follow: follow };
  }

  const block = document.getElementById("sejajar-data");
  if (block) {
    const key = document.getElementById("pairs").dataset.storageKey;
    const store = localStore(key);
    store.follow(workbench(JSON.parse(block.textContent), store));
    document.documentElement.classList.add("ready");
  } else {
    window.sejajarWorkbench = workbench;
  }
})();
