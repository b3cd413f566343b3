"use strict";
// The reviewer's workbench. Reads pairs from the JSON data block, never from markup, and
// writes text only through textContent: nothing from an article is ever parsed as HTML.
(function () {
  const table = document.getElementById("pairs");
  const data = JSON.parse(document.getElementById("sejajar-data").textContent);
  const storageKey = table.dataset.storageKey;
  const rows = Array.from(table.querySelectorAll("tr.pair"));
  const byId = new Map(rows.map((row) => [Number(row.dataset.id), row]));
  const records = new Map(data.records.map((r) => [r.id, r]));
  const counter = document.getElementById("counter");
  const search = document.getElementById("search");
  const onlyFlagged = document.getElementById("only-flagged");
  let decisions = load();
  let current = null;
  let editing = null;

  function load() {
    try {
      return JSON.parse(localStorage.getItem(storageKey) || "{}");
    } catch (e) {
      return {};
    }
  }

  function save() {
    try {
      localStorage.setItem(storageKey, JSON.stringify(decisions));
    } catch (e) {
      counter.textContent = "cannot save decisions in this browser: export them now";
    }
  }

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
    save();
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
      save();
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

  document.getElementById("export-jsonl").addEventListener("click", () => {
    const lines = exported().map((r) => JSON.stringify(r) + "\n");
    download(data.name + ".review.jsonl", lines.join(""), "application/x-ndjson");
  });
  document.getElementById("export-tsv").addEventListener("click", () => {
    const lines = exported().map(
      (r) => [r.decision, clean(r.source), clean(r.target)].join("\t") + "\n",
    );
    download(data.name + ".review.tsv", lines.join(""), "text/tab-separated-values");
  });
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
  document.documentElement.classList.add("ready");
})();
