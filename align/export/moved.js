"use strict";
// Only on pages with moved links (paired out of order): the "only moved" filter. It hides
// the other pairs with the `hidden` attribute, which review.js's navigation already skips,
// and re-applies itself after review.js's filters (search, "only flagged", the f key), whose
// listeners were registered earlier and so run first.
(function () {
  const box = document.getElementById("only-moved");
  const search = document.getElementById("search");
  const rows = Array.from(document.querySelectorAll("#pairs tr.pair"));
  function apply() {
    const query = search.value.trim().toLowerCase();
    for (const row of rows) {
      const found = query === "" || row.textContent.toLowerCase().includes(query);
      row.hidden = !found || (box.checked && !row.classList.contains("moved"));
    }
  }
  box.addEventListener("change", apply);
  search.addEventListener("input", apply);
  document.getElementById("only-flagged").addEventListener("change", apply);
  document.addEventListener("keydown", (event) => {
    if (event.key === "f" && event.target !== search) apply();
  });
})();
