"use strict";
// The team page's saves (served by `sejajar serve --db`): every decision goes into an outbox
// kept in local storage (a reload, or a closed tab, loses none), then out to the server in
// order, one at a time, each with the Idempotency-Key it was given when it was made. A save
// with no answer (the server down, restarting, or the answer lost) stays first in line and is
// sent again, with the same key, until the server answers: the server stores it once. A 409
// (someone saved the pair since) is handed to onConflict with the newer decision and who made
// it; nothing is overwritten without the reviewer asking.
(function () {
  const RETRY_MS = [250, 500, 1000, 2000, 3000];
  const TIMEOUT_MS = 15000;

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // session: {user, csrf}; hooks: onConflict(entry, current, latest),
  // onDropped(entry, message), onSignedOut(), onStatus(waiting, state).
  function outbox(session, hooks) {
    const storageKey = "sejajar-team:outbox:" + session.user;
    let sending = false;
    let failures = 0;
    let timer = null;
    let state = "saved";
    let memory = null; // the entries, while local storage refuses them

    // Read afresh before every change: two tabs of one reviewer share the outbox.
    function read() {
      try {
        const found = JSON.parse(localStorage.getItem(storageKey) || "[]");
        return Array.isArray(found) ? found : [];
      } catch (e) {
        return [];
      }
    }

    function write(entries) {
      try {
        localStorage.setItem(storageKey, JSON.stringify(entries));
      } catch (e) {
        // Full or turned off: the entries wait in memory only, until the page closes.
        memory = entries;
        return;
      }
      memory = null;
    }

    function entries() {
      return memory || read();
    }

    function status(next) {
      state = next || state;
      hooks.onStatus(entries().length, state);
    }

    function add(document, pair, body) {
      const entry = { key: newKey(), document: document, pair: pair, body: body };
      const all = entries();
      all.push(entry);
      write(all);
      status();
      flush();
      return entry;
    }

    function remove(keys) {
      write(entries().filter((e) => !keys.includes(e.key)));
    }

    function later() {
      if (timer !== null) return;
      const wait = RETRY_MS[Math.min(failures, RETRY_MS.length - 1)];
      failures += 1;
      timer = setTimeout(() => {
        timer = null;
        flush();
      }, wait);
    }

    async function put(entry) {
      const abort = new AbortController();
      const clock = setTimeout(() => abort.abort(), TIMEOUT_MS);
      try {
        return await fetch(
          "/v1/review/documents/" + entry.document + "/pairs/" + entry.pair,
          {
            method: "PUT",
            credentials: "same-origin",
            headers: {
              "Content-Type": "application/json",
              "X-CSRF-Token": session.csrf,
              "Idempotency-Key": entry.key,
            },
            body: JSON.stringify(entry.body),
            signal: abort.signal,
          },
        );
      } finally {
        clearTimeout(clock);
      }
    }

    async function json(answer) {
      try {
        return await answer.json();
      } catch (e) {
        return {};
      }
    }

    // One entry: true to go on with the next, false to stop (a retry is scheduled).
    async function send(entry) {
      let answer;
      try {
        answer = await put(entry);
      } catch (e) {
        status("unreachable");
        later();
        return false;
      }
      if (answer.status === 200) {
        remove([entry.key]);
        failures = 0;
        return true;
      }
      if (answer.status === 409) {
        const body = await json(answer);
        // Later saves of the pair were made on top of this one: they would conflict too.
        const ofPair = entries().filter(
          (e) => e.document === entry.document && e.pair === entry.pair,
        );
        remove(ofPair.map((e) => e.key));
        hooks.onConflict(entry, body.current, ofPair[ofPair.length - 1]);
        return true;
      }
      if (answer.status === 401) {
        status("signed-out");
        hooks.onSignedOut();
        return false;
      }
      if (answer.status === 403 && failures < 3) {
        await refreshToken();
        status("unreachable");
        later();
        return false;
      }
      if (answer.status >= 500 || answer.status === 429 || answer.status === 403) {
        status("unreachable");
        later();
        return false;
      }
      // 400, 404, 413, 422: this save can never be stored; say so and go on.
      const body = await json(answer);
      remove([entry.key]);
      hooks.onDropped(entry, body.error || "refused (" + answer.status + ")");
      return true;
    }

    async function refreshToken() {
      try {
        const answer = await fetch("/v1/session", { credentials: "same-origin" });
        if (answer.ok) session.csrf = (await answer.json()).csrf;
      } catch (e) {
        // Unreachable: the retry asks again.
      }
    }

    async function flush() {
      if (sending || timer !== null) return;
      sending = true;
      try {
        for (;;) {
          const first = entries()[0];
          if (!first) {
            status("saved");
            return;
          }
          status("saving");
          if (!(await send(first))) return;
        }
      } finally {
        sending = false;
        status();
      }
    }

    return {
      add: add,
      flush: flush,
      entries: entries,
    };
  }

  window.sejajarOutbox = outbox;
})();
