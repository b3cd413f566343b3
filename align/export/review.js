"use strict";
// The reviewer's workbench. Reads pairs from the JSON data block, never from markup, and
// writes text only through textContent: nothing from an article is ever parsed as HTML.
// One code path for both pages: the page opened from disk keeps its decisions in the
// browser's local storage (localstore.js, loaded before this file); the team page that `sejajar serve --db` serves
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

  const block = document.getElementById("sejajar-data");
  if (block) {
    const key = document.getElementById("pairs").dataset.storageKey;
    const store = window.sejajarLocalStore(key);
    store.follow(workbench(JSON.parse(block.textContent), store));
    document.documentElement.classList.add("ready");
  } else {
    window.sejajarWorkbench = workbench;
  }
})();
