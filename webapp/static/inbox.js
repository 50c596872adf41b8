// The inbox keeps itself current and lets several tasks be acted on at once. Without this file the page still works:
// reload to see new tasks; the checkboxes and the bulk buttons are a plain form.

// Bulk selection: "select all" and the count beside the buttons.
function bulkBoxes() { return [...document.querySelectorAll("input.bulk-task")]; }
function recount() {
  const count = document.getElementById("bulk-count");
  if (count) count.textContent = String(bulkBoxes().filter((b) => b.checked).length);
  const all = document.getElementById("bulk-all");
  if (all) {
    const boxes = bulkBoxes();
    all.checked = boxes.length > 0 && boxes.every((b) => b.checked);
    all.indeterminate = !all.checked && boxes.some((b) => b.checked);
  }
}
document.addEventListener("change", (event) => {
  if (event.target.id === "bulk-all") bulkBoxes().forEach((b) => { b.checked = event.target.checked; });
  if (event.target.id === "bulk-all" || event.target.classList.contains("bulk-task")) recount();
});
document.addEventListener("submit", (event) => {
  if (event.target.id !== "bulk-form") return;
  const action = event.submitter ? event.submitter.value : "";
  if (!bulkBoxes().some((b) => b.checked)) {
    event.preventDefault();
    say("Hãy chọn ít nhất một nhiệm vụ.");
  } else if (action === "assign" && !document.getElementById("bulk-assignee").value) {
    event.preventDefault();
    say("Hãy chọn đồng nghiệp nhận nhiệm vụ.");
  }
});

function say(text) {
  const box = document.getElementById("inbox-live");
  if (!box) return;
  box.textContent = text;
  box.hidden = false;
}

// The list refreshes itself: a conditional GET of /inbox/state (304 while nothing changed, one aggregate query on
// the server); when a task arrived, left or changed hands, the page's own list is fetched again and swapped in,
// keeping the ticked tasks that are still there.
(function watchInbox() {
  const box = document.getElementById("inbox-live");
  if (!box) return;
  let etag = box.dataset.etag || null;
  let busy = false;
  const refresh = async () => {
    const response = await fetch(window.location.href, { credentials: "same-origin" });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.getElementById("inbox-list");
    const list = document.getElementById("inbox-list");
    if (!fresh || !list) return;
    const ticked = new Set(bulkBoxes().filter((b) => b.checked).map((b) => b.value));
    list.replaceWith(fresh);
    bulkBoxes().forEach((b) => { b.checked = ticked.has(b.value); });
    const total = document.getElementById("inbox-total");
    const freshTotal = page.getElementById("inbox-total");
    if (total && freshTotal) total.textContent = freshTotal.textContent;
    recount();
    const at = new Date().toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit", timeZone: "Asia/Ho_Chi_Minh" });
    say(`Hộp việc vừa được cập nhật lúc ${at} (có nhiệm vụ mới đến hoặc đồng nghiệp vừa nhận).`);
  };
  const check = async () => {
    if (busy || document.hidden) return;
    busy = true;
    try {
      const response = await fetch(box.dataset.url, { headers: etag ? { "If-None-Match": etag } : {},
                                                        credentials: "same-origin" });
      if (response.status === 200) {
        const next = response.headers.get("ETag");
        if (next && next !== etag) { etag = next; await refresh(); }
      }
    } catch (err) { /* offline for a moment: ask again on the next tick */ } finally { busy = false; }
  };
  setInterval(check, parseInt(box.dataset.interval || "10000", 10));
  document.addEventListener("visibilitychange", check);
})();
document.addEventListener("DOMContentLoaded", recount);
