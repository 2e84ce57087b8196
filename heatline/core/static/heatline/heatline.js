// Live countdowns: any element with data-due="ISO time" shows the time left (or overdue), refreshed each second.
(function () {
  function pad(n) { return String(n).padStart(2, "0"); }
  function render(el) {
    var due = Date.parse(el.dataset.due);
    if (isNaN(due)) return;
    var left = Math.round((due - Date.now()) / 1000);
    var late = left < 0, s = Math.abs(left);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    var text = (h ? h + ":" + pad(m) : m) + ":" + pad(sec);
    el.textContent = late ? (el.dataset.lateLabel || "超时") + " " + text : text;
    el.classList.toggle("late", late);
    el.classList.toggle("soon", !late && left < 600);
  }
  function tick() { document.querySelectorAll("[data-due]").forEach(render); }
  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 1000); });
  document.addEventListener("htmx:afterSwap", tick);
})();
