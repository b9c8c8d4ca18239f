// A box that narrows a long list of filter options (the providers) as the reader types.
// Progressive enhancement: without JavaScript the whole list is shown and works the same.
// Options are hidden with the `hidden` attribute (no inline styles, so the CSP holds), and a
// live region says how many are shown, for screen reader users.

let counter = 0;

export function initFilterLists(root = document) {
  for (const container of root.querySelectorAll('[data-module="app-filter-list"]')) {
    const items = [...container.querySelectorAll(".govuk-checkboxes__item")];
    if (!items.length || container.dataset.filterListReady) continue;
    container.dataset.filterListReady = "true";
    counter += 1;
    const legend = container.querySelector("legend");
    const name = legend ? legend.textContent.trim().toLowerCase() : "options";
    const id = `app-filter-list-${counter}`;

    const group = document.createElement("div");
    group.className = "govuk-form-group app-filter-list__input";
    const label = document.createElement("label");
    label.className = "govuk-label govuk-label--s";
    label.htmlFor = id;
    label.textContent = `Search ${name}`;
    const input = document.createElement("input");
    input.className = "govuk-input";
    input.id = id;
    input.type = "search";
    input.autocomplete = "off";
    input.spellcheck = false;
    const status = document.createElement("p");
    status.className = "govuk-visually-hidden";
    status.setAttribute("aria-live", "polite");
    group.append(label, input, status);
    container.prepend(group);

    input.addEventListener("input", () => {
      const wanted = input.value.trim().toLowerCase();
      let shown = 0;
      for (const item of items) {
        const text = item.querySelector("label").textContent.toLowerCase();
        const box = item.querySelector("input");
        const match = !wanted || text.includes(wanted) || box.checked;
        item.hidden = !match;
        if (match) shown += 1;
      }
      status.textContent = `${shown} ${shown === 1 ? "option" : "options"} shown`;
    });
    // Enter in the box narrows the list; it must not submit the whole search form.
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") event.preventDefault();
    });
  }
}
