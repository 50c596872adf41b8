// The supervision dashboard: "select all" and the fields each action needs. Works without it (tick rows by hand).
document.addEventListener("DOMContentLoaded", () => {
  const all = document.getElementById("sv-all");
  if (all) {
    all.addEventListener("change", () => {
      document.querySelectorAll(".sv-pick").forEach((box) => { box.checked = all.checked; });
    });
  }
  const action = document.getElementById("sv-action");
  const sync = () => {
    document.querySelectorAll(".sv-field").forEach((field) => {
      field.hidden = field.dataset.for !== action.value;
    });
  };
  if (action) { action.addEventListener("change", sync); sync(); }
});
