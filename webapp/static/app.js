// Progressive enhancement only: every form also works without this file.
document.addEventListener("click", (event) => {
  const add = event.target.closest(".add-row");
  if (add) {
    const fieldset = add.closest("fieldset.array");
    const rows = fieldset.querySelector(".array-rows");
    const max = parseInt(fieldset.dataset.max || "0", 10);
    if (max && rows.children.length >= max) return;
    // Indices only need to be unique: the server orders rows by index and drops blank ones.
    const used = [...rows.querySelectorAll("[name]")].map((el) => {
      const m = el.name.slice(fieldset.dataset.array.length + 1).match(/^(\d+)\./);
      return m ? parseInt(m[1], 10) : -1;
    });
    const next = Math.max(-1, ...used) + 1;
    const html = fieldset.querySelector("template.array-template").innerHTML.replaceAll("__INDEX__", String(next));
    rows.insertAdjacentHTML("beforeend", html);
    renumber(rows);
    rows.lastElementChild.querySelector("input, select, textarea")?.focus();
  }
  const remove = event.target.closest(".remove-row");
  if (remove) {
    const rows = remove.closest(".array-rows");
    remove.closest(".array-row").remove();
    renumber(rows);
  }
});

function renumber(rows) {
  [...rows.children].forEach((row, i) => { const no = row.querySelector(".row-no"); if (no) no.textContent = i + 1; });
}

// A double click must not submit twice: disable the button and say the action is running.
document.addEventListener("submit", (event) => {
  const button = event.target.querySelector("button.submit-once");
  if (button) {
    if (button.dataset.busy) { event.preventDefault(); return; }
    button.dataset.busy = "1";
    button.disabled = true;
    button.textContent = "Đang xử lý…";
  }
});

// The quota counters beside the nominee list ("Tập thể: 2/3") follow the rows as they are typed; the server checks
// the same limits when the list is saved.
function recountQuotas() {
  const box = document.getElementById("quota-counters");
  const list = document.querySelector('fieldset.array[data-array="nominees"] .array-rows');
  if (!box || !list) return;
  const rows = [...list.children].map((row) => ({
    kind: row.querySelector('select[name$=".kind"]')?.value || "",
    form: row.querySelector('select[name$=".award_form"]')?.value || "",
  })).filter((r) => r.kind);
  box.querySelectorAll(".quota-counter").forEach((li) => {
    const forms = li.dataset.forms ? li.dataset.forms.split(",") : [];
    const kind = li.dataset.kind;
    const limit = parseInt(li.dataset.limit, 10);
    const used = rows.filter((r) => (!forms.length || forms.includes(r.form))
      && (kind === "either" || r.kind === kind)).length;
    const text = li.querySelector(".quota-text");
    text.textContent = text.textContent.replace(/\d+\/\d+$/, `${used}/${limit}`);
    li.classList.toggle("text-danger", used > limit);
    li.classList.toggle("fw-semibold", used > limit);
    li.querySelector(".quota-over")?.toggleAttribute("hidden", used <= limit);
  });
}
document.addEventListener("change", recountQuotas);
document.addEventListener("click", (event) => {
  if (event.target.closest(".add-row, .remove-row")) recountQuotas();
});
document.addEventListener("DOMContentLoaded", recountQuotas);

// The demo's sign-in page: a suggested account fills the username (the password is shown beside the list).
document.addEventListener("click", (event) => {
  const pick = event.target.closest(".fill-username");
  if (!pick) return;
  document.getElementById("username").value = pick.dataset.username;
  document.getElementById("password").focus();
});

// A decision that can send the case back shows what a return needs (the step, the reason) only when returning, and
// the head's tờ trình fields only when submitting. Without this file every field shows and the server decides.
function syncDecision(select) {
  if (!select.querySelector('option[value="return"]')) return;
  const back = select.value === "return";
  select.form.querySelectorAll('[data-field="return_to"], [data-field$="_reason"]').forEach((el) => {
    el.hidden = !back;
  });
  if (select.name === "head_decision") {
    select.form.querySelectorAll('[data-field^="submission_"], [data-field^="signer_"]').forEach((el) => {
      el.hidden = back;
    });
  }
}
document.addEventListener("change", (event) => {
  if (event.target.matches && event.target.matches('select[name$="_decision"]')) syncDecision(event.target);
});
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll('form.task-form select[name$="_decision"]').forEach(syncDecision);
});

// An open task page asks now and then whether the task is still as it was shown (a conditional GET: 304 while
// nothing changed) and says so when a colleague completed or claimed it, instead of failing on submit.
(function watchTask() {
  const box = document.getElementById("task-state");
  if (!box) return;
  let etag = null;
  let stopped = false;
  const say = (text, blocked, final) => {
    box.textContent = text + " ";
    const reload = document.createElement("a");
    reload.href = window.location.pathname;
    reload.textContent = "Tải lại trang";
    box.appendChild(reload);
    box.hidden = false;
    if (blocked) document.querySelectorAll("form.task-form button.submit-once").forEach((b) => { b.disabled = true; });
    stopped = Boolean(final);
  };
  const check = async () => {
    if (stopped || document.hidden) return;
    try {
      const response = await fetch(box.dataset.url, { headers: etag ? { "If-None-Match": etag } : {},
                                                        credentials: "same-origin" });
      if (response.status === 304) return;
      if (response.status === 404) { say("Nhiệm vụ không còn.", true, true); return; }
      if (!response.ok) return;
      etag = response.headers.get("ETag");
      const state = await response.json();
      if (!state.open) {
        say(state.message, true, true);
      } else if (state.assignee && !state.mine && state.assignee !== box.dataset.assignee) {
        say(`Nhiệm vụ vừa được ${state.assignee} nhận xử lý.`, true, false);
      } else if (String(state.version) !== box.dataset.version) {
        say("Hồ sơ vừa được người khác cập nhật.", false, false);
      }
    } catch (err) { /* offline for a moment: ask again on the next tick */ }
  };
  setInterval(check, parseInt(box.dataset.interval || "15000", 10));
  document.addEventListener("visibilitychange", check);
})();
