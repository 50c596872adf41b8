// The case page's comment box: typing @ and a few letters lists the colleagues who may see the case (asked from
// the server), and picking one writes @username. Without this file, typing @username by hand works the same.
(function mentions() {
  const area = document.getElementById("comment-body");
  const list = document.getElementById("mention-list");
  if (!area || !list) return;
  let timer = null;
  let active = -1;
  const token = () => {
    const before = area.value.slice(0, area.selectionStart);
    const m = before.match(/(^|[^\w.@])@([\w.-]{0,40})$/);
    return m ? { start: before.length - m[2].length - 1, text: m[2] } : null;
  };
  const close = () => { list.hidden = true; list.replaceChildren(); active = -1; };
  const pick = (username) => {
    const t = token();
    if (!t) return close();
    const after = area.value.slice(area.selectionStart);
    area.value = `${area.value.slice(0, t.start)}@${username} ${after}`;
    const caret = t.start + username.length + 2;
    area.setSelectionRange(caret, caret);
    area.focus();
    close();
  };
  const show = (items) => {
    list.replaceChildren();
    items.forEach((u, i) => {
      const item = document.createElement("button");
      item.type = "button";
      item.className = "list-group-item list-group-item-action py-1 mention-option";
      item.setAttribute("role", "option");
      item.dataset.username = u.username;
      const name = document.createElement("strong");
      name.textContent = u.full_name;  // text, never markup
      const who = document.createElement("span");
      who.className = "text-muted ms-1";
      who.textContent = `@${u.username} · ${u.unit}`;
      item.append(name, who);
      item.addEventListener("mousedown", (event) => { event.preventDefault(); pick(u.username); });
      list.appendChild(item);
      if (i === 0) active = 0;
    });
    list.hidden = items.length === 0;
    mark();
  };
  const mark = () => [...list.children].forEach((el, i) => el.classList.toggle("active", i === active));
  area.addEventListener("input", () => {
    clearTimeout(timer);
    const t = token();
    if (!t) return close();
    timer = setTimeout(async () => {
      try {
        const url = `${area.dataset.mentionsUrl}?q=${encodeURIComponent(t.text)}`;
        const response = await fetch(url, { credentials: "same-origin" });
        if (response.ok) show((await response.json()).items);
      } catch (err) { close(); }
    }, 150);
  });
  area.addEventListener("keydown", (event) => {
    if (list.hidden) return;
    const n = list.children.length;
    if (event.key === "ArrowDown") { active = (active + 1) % n; mark(); event.preventDefault(); }
    else if (event.key === "ArrowUp") { active = (active - 1 + n) % n; mark(); event.preventDefault(); }
    else if ((event.key === "Enter" || event.key === "Tab") && active >= 0) {
      pick(list.children[active].dataset.username); event.preventDefault();
    } else if (event.key === "Escape") close();
  });
  area.addEventListener("blur", () => setTimeout(close, 150));
})();
