// The review page without the mouse, and without losing what was typed: keyboard shortcuts
// (press ? for the list) and a draft kept in this browser until the review is saved.
// Everything here is an extra: the form works the same without JavaScript.
(() => {
  const form = document.querySelector("form[data-draft-key]");
  if (!form) return;
  const key = `carousel-draft:${form.dataset.draftKey}`;
  const fields = [...form.querySelectorAll("textarea, input[type=radio], input[type=checkbox]")];
  const status = document.getElementById("draft-status");

  // A checkbox list (root causes) is kept as the values ticked; a radio as the one chosen.
  const snapshot = () => {
    const draft = {};
    for (const field of fields) {
      if (field.type === "radio") { if (field.checked) draft[field.name] = field.value; }
      else if (field.type === "checkbox" && field.value !== "on") {
        draft[field.name] = draft[field.name] || [];
        if (field.checked) draft[field.name].push(field.value);
      }
      else if (field.type === "checkbox") draft[field.name] = field.checked;
      else draft[field.name] = field.value;
    }
    return draft;
  };

  // A draft wins over the empty form, never over what the server sent back with an error.
  const saved = JSON.parse(localStorage.getItem(key) || "null");
  if (saved && !form.dataset.bound) {
    for (const field of fields) {
      if (!(field.name in saved)) continue;
      if (field.type === "radio") field.checked = saved[field.name] === field.value;
      else if (field.type === "checkbox" && Array.isArray(saved[field.name])) field.checked = saved[field.name].includes(field.value);
      else if (field.type === "checkbox") field.checked = saved[field.name];
      else if (!field.value) field.value = saved[field.name];
    }
    if (status) status.textContent = "Draft restored from this browser.";
  }
  form.addEventListener("input", () => {
    localStorage.setItem(key, JSON.stringify(snapshot()));
    if (status) status.textContent = "Draft saved in this browser.";
  });
  // Saved on the server now: the page that follows says so; the draft has done its job.
  form.addEventListener("submit", () => localStorage.removeItem(key));

  // Root causes are asked for when a criterion is rated at one of its low levels.
  const showCauses = () => {
    for (const criterion of form.querySelectorAll("fieldset[data-low-levels]")) {
      const chosen = criterion.querySelector("input[type=radio]:checked");
      const low = chosen && chosen.value !== "na" && Number(chosen.value) <= Number(criterion.dataset.lowLevels);
      criterion.querySelector("[data-root-causes]").hidden = !low;
    }
  };
  showCauses();
  form.addEventListener("change", showCauses);

  // The keys come from the page (data-shortcut): the server numbers each scorecard's levels.
  const help = document.getElementById("shortcuts");
  document.getElementById("shortcut-hint").hidden = false;
  const submit = () => (form.querySelector("button[value=next]") || form.querySelector("button[type=submit]")).click();
  const keys = { "?": () => { if (help) help.hidden = !help.hidden; } };
  for (const target of form.querySelectorAll("[data-shortcut]")) {
    keys[target.dataset.shortcut] = target.type === "radio"
      ? () => { target.checked = true; target.focus(); form.dispatchEvent(new Event("input")); showCauses(); }
      : () => target.focus();
  }
  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") { event.preventDefault(); submit(); return; }
    if (event.key === "Escape" && help && !help.hidden) { help.hidden = true; return; }
    const typing = event.target.closest("textarea, input[type=text], select");
    if (typing || event.ctrlKey || event.metaKey || event.altKey || !(event.key in keys)) return;
    event.preventDefault();
    keys[event.key]();
  });
})();
