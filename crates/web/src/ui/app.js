// kupets pages: a little vanilla JavaScript on top of forms that work
// without it. Search boxes (data-pick), the line editor (table.lines),
// confirmations (data-confirm); serials are ticked from the line's list.
(function () {
  "use strict";
  function debounce(fn, ms) { var t; return function () { var a = arguments, s = this; clearTimeout(t); t = setTimeout(function () { fn.apply(s, a); }, ms); }; }
  function get(url) { return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) { return r.ok ? r.json() : null; }); }

  // ---- search as you type: arrows move, Enter picks, Escape closes
  function pick(input) {
    if (input.dataset.ready) return;
    input.dataset.ready = "1";
    var box = input.parentNode, list = null, items = [], on = -1;
    function target() { var n = input.dataset.target; return n ? input.form.querySelector('[name="' + n + '"]') : null; }
    function close() { if (list) { list.remove(); list = null; } items = []; on = -1; }
    function mark() { if (!list) return; Array.prototype.forEach.call(list.children, function (li, i) { li.classList.toggle("on", i === on); if (i === on) li.scrollIntoView({ block: "nearest" }); }); }
    function choose(i) {
      var it = items[i]; if (!it) return;
      input.value = it.number || it.label;
      var t = target(); if (t) t.value = it.id;
      close();
      input.dispatchEvent(new CustomEvent("picked", { bubbles: true, detail: it }));
    }
    var search = debounce(function () {
      var q = input.value.trim();
      var t = target(); if (t) t.value = "";
      if (!q) { close(); input.dispatchEvent(new CustomEvent("picked", { bubbles: true, detail: null })); return; }
      var url = input.dataset.pick + (input.dataset.pick.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(q);
      get(url).then(function (rows) {
        close();
        if (!rows || !rows.length || document.activeElement !== input) return;
        items = rows; on = 0;
        list = document.createElement("ul"); list.className = "opts"; list.setAttribute("role", "listbox");
        rows.forEach(function (r, i) {
          var li = document.createElement("li"); li.textContent = r.label; li.setAttribute("role", "option");
          li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(i); });
          list.appendChild(li);
        });
        box.appendChild(list); mark();
      });
    }, 120);
    input.addEventListener("input", search);
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" && list) { on = Math.min(on + 1, items.length - 1); mark(); e.preventDefault(); }
      else if (e.key === "ArrowUp" && list) { on = Math.max(on - 1, 0); mark(); e.preventDefault(); }
      else if (e.key === "Enter" && list) { choose(on); e.preventDefault(); }
      else if (e.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }
  function picks(root) { Array.prototype.forEach.call(root.querySelectorAll("input[data-pick]"), pick); }

  // ---- the line editor
  function editor(table) {
    var form = table.closest("form"), body = table.tBodies[0];
    function rows() { return Array.prototype.slice.call(body.rows); }
    function renumber() { rows().forEach(function (tr, k) { tr.querySelector("td.no").textContent = k + 1; }); }
    function nextIndex() { return rows().reduce(function (m, tr) { return Math.max(m, +tr.dataset.row); }, -1) + 1; }
    function addRow() {
      var last = rows()[rows().length - 1], tr = last.cloneNode(true), old = last.dataset.row, i = nextIndex();
      tr.dataset.row = i; tr.classList.remove("bad");
      Array.prototype.forEach.call(tr.querySelectorAll("[name]"), function (el) { el.name = el.name.replace("l" + old + "_", "l" + i + "_"); el.value = ""; delete el.dataset.ready; if (el.type === "hidden" && /_line$/.test(el.name)) el.remove(); });
      Array.prototype.forEach.call(tr.querySelectorAll("[data-target]"), function (el) { el.dataset.target = "l" + i + "_product"; });
      Array.prototype.forEach.call(tr.querySelectorAll(".err,ul.opts"), function (el) { el.remove(); });
      Array.prototype.forEach.call(tr.querySelectorAll("td.num,.unit,.units"), function (el) { el.textContent = ""; });
      body.appendChild(tr); picks(tr); renumber();
      return tr;
    }
    table.querySelector("button.add").addEventListener("click", function () { addRow().querySelector("input[data-pick]").focus(); });
    body.addEventListener("click", function (e) {
      var b = e.target.closest("button.del"); if (!b) return;
      var tr = b.closest("tr");
      if (rows().length === 1) { addRow(); }
      tr.remove(); renumber(); refresh();
    });
    // Ticking a unit writes the ticked serials into the line's field.
    body.addEventListener("change", function (e) {
      var box = e.target.closest(".units"); if (!box) return;
      var field = box.parentNode.querySelector("input[type=text]");
      field.value = Array.prototype.filter.call(box.querySelectorAll("input[type=checkbox]"), function (c) { return c.checked; }).map(function (c) { return c.value; }).join(" ");
    });
    body.addEventListener("keydown", function (e) {
      if (e.key !== "Enter" || !e.target.classList.contains("qty")) return;
      e.preventDefault();
      var tr = e.target.closest("tr"), next = tr.nextElementSibling || addRow();
      next.querySelector("input[data-pick]").focus();
    });
    var refresh = debounce(function () {
      var data = new URLSearchParams(new FormData(form)); data.delete("csrf");
      get(table.dataset.quote + "&" + data.toString()).then(function (r) {
        if (!r) return;
        rows().forEach(function (tr) {
          var q = r.rows[tr.dataset.row] || {}, c = function (s) { return tr.querySelector(s); };
          c(".q-price").textContent = q.price || "";
          c(".q-disc").textContent = q.discount_pct || "";
          c(".q-stock").textContent = q.stock || "";
          c(".q-amount").textContent = q.amount || "";
          c(".unit").textContent = q.unit || "";
          var box = c(".units"), field = box && box.parentNode.querySelector("input[type=text]");
          if (box && field) {
            var cur = field.value.split(/[\s,;]+/).filter(Boolean).map(function (x) { return x.toUpperCase(); });
            box.textContent = "";
            (q.units || []).forEach(function (sn) {
              var l = document.createElement("label"), cb = document.createElement("input");
              cb.type = "checkbox"; cb.value = sn; cb.checked = cur.indexOf(sn.toUpperCase()) >= 0;
              l.appendChild(cb); l.appendChild(document.createTextNode(" " + sn + " ")); box.appendChild(l);
            });
          }
          var old = tr.querySelector(".err.live"); if (old) old.remove();
          if (q.error) { var d = document.createElement("div"); d.className = "err live"; d.textContent = q.error; tr.cells[1].appendChild(d); }
        });
        table.querySelector(".q-total").textContent = r.total;
      });
    }, 200);
    // ---- a scan fills the next free row: a row of the unit's product with a
    // serial slot left (fewer serials than its quantity), else the first
    // empty row, else a new one.
    var scanBox = form.querySelector("input[data-scan]");
    function serialsOf(tr) { var f = tr.querySelector('input[name$="_serials"]'); return f ? f.value.split(/[\s,;]+/).filter(Boolean) : []; }
    function say(text) { var m = form.querySelector(".scan-msg"); if (m) m.textContent = text; }
    if (scanBox) scanBox.addEventListener("keydown", function (e) {
      if (e.key !== "Enter") return;
      e.preventDefault();
      var sn = scanBox.value.trim(); if (!sn) return;
      get(scanBox.dataset.scan + "?serial=" + encodeURIComponent(sn)).then(function (u) {
        var ru = document.documentElement.lang === "ru";
        if (!u) { say((ru ? "Не найден: " : "Not found: ") + sn); return; }
        var up = u.serial.toUpperCase();
        var twice = rows().filter(function (tr) { return serialsOf(tr).some(function (x) { return x.toUpperCase() === up; }); })[0];
        if (twice) { say(u.serial + (ru ? " уже в строке " : " is already on line ") + twice.querySelector("td.no").textContent); scanBox.value = ""; return; }
        var pid = function (tr) { return tr.querySelector('input[name$="_product"]').value; };
        var qtyOf = function (tr) { return parseFloat((tr.querySelector("input.qty").value || "0").replace(",", ".")) || 0; };
        var tr = rows().filter(function (tr) { return pid(tr) === u.product_id && serialsOf(tr).length < qtyOf(tr); })[0];
        if (!tr) {
          tr = rows().filter(function (tr) { return !pid(tr) && !tr.querySelector("input[data-pick]").value.trim(); })[0] || addRow();
          tr.querySelector("input[data-pick]").value = u.label;
          tr.querySelector('input[name$="_product"]').value = u.product_id;
          tr.querySelector("input.qty").value = "1";
        }
        var field = tr.querySelector('input[name$="_serials"]');
        field.value = serialsOf(tr).concat([u.serial]).join(" ");
        scanBox.value = "";
        say(u.serial + (ru ? " → строка " : " → line ") + tr.querySelector("td.no").textContent);
        refresh();
      });
    });
    form.addEventListener("input", function (e) { if (!e.target.dataset.pick && !e.target.dataset.scan) refresh(); });
    form.addEventListener("change", refresh);
    form.addEventListener("picked", refresh);
    refresh();
  }

  document.addEventListener("DOMContentLoaded", function () {
    picks(document);
    Array.prototype.forEach.call(document.querySelectorAll("table.lines[data-quote]"), editor);
    // Irreversible actions ask first.
    document.addEventListener("submit", function (e) {
      var b = e.submitter || e.target.querySelector("[data-confirm]");
      var msg = (b && b.dataset && b.dataset.confirm) || e.target.dataset.confirm;
      if (msg && !window.confirm(msg)) e.preventDefault();
    }, true);
  });
})();
