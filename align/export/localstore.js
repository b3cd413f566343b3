"use strict";
// The store of the page opened from disk (review.js's workbench takes it): the page's decisions
// in the browser's local storage, under the page's key. The team page does not load this file:
// its store is the server (team.js, outbox.js).
(function () {
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

  window.sejajarLocalStore = localStore;
})();
