/* bangfu household table: rows from households.json, sorted and filtered in the browser, shown in pages of 500. */
(function () {
  "use strict";
  var app = document.querySelector(".bf-table-app");
  if (!app) return;
  var base = app.getAttribute("data-base") || "";
  var body = app.querySelector("tbody");
  var heads = app.querySelectorAll("th[data-col]");
  var text = app.querySelector(".bf-filter-text");
  var category = app.querySelector(".bf-filter-category");
  var state = app.querySelector(".bf-filter-status");
  var count = app.querySelector(".bf-count");
  var more = app.querySelector(".bf-more-button");
  var PAGE = 500;
  var rows = [], shown = [], limit = PAGE, sortCol = 0, sortDir = 1;

  function cell(tr, value) { var td = document.createElement("td"); td.textContent = value; tr.appendChild(td); return td; }

  var match = window.bangfuMatch;
  var hay = [], parts = [];

  function draw() {
    var q = match.words(text.value), c = category.value, s = state.value;
    shown = rows.filter(function (r, i) {
      return (!c || r[3] === c) && (!s || r[5] === s) && match.test(hay[i], parts[i], q);
    });
    shown.sort(function (a, b) { return a[sortCol] < b[sortCol] ? -sortDir : a[sortCol] > b[sortCol] ? sortDir : 0; });
    var frag = document.createDocumentFragment();
    shown.slice(0, limit).forEach(function (r) {
      var tr = document.createElement("tr");
      var td = document.createElement("td"), a = document.createElement("a");
      a.href = base + "h/" + r[9] + "/" + r[0] + "/"; a.textContent = r[0]; td.appendChild(a); tr.appendChild(td);
      for (var i = 1; i < 9; i++) cell(tr, r[i]);
      frag.appendChild(tr);
    });
    body.innerHTML = "";
    body.appendChild(frag);
    count.textContent = "共 " + shown.length + " 户" + (shown.length > limit ? "，显示前 " + limit + " 户" : "");
    more.hidden = shown.length <= limit;
  }

  heads.forEach(function (th) {
    function sort() {
      var col = +th.getAttribute("data-col");
      sortDir = col === sortCol ? -sortDir : 1; sortCol = col;
      heads.forEach(function (h) { h.setAttribute("aria-sort", "none"); });
      th.setAttribute("aria-sort", sortDir > 0 ? "ascending" : "descending");
      draw();
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(); });
  });
  [text, category, state].forEach(function (el) { el.addEventListener("input", function () { limit = PAGE; draw(); }); });
  more.addEventListener("click", function () { limit += PAGE; draw(); });
  fetch(app.getAttribute("data-source"), { credentials: "same-origin" }).then(function (r) {
    if (!r.ok) throw new Error(r.status === 403 || r.status === 401 ? "您的账号无权查看名单。" : "名单载入失败。");
    return r.json();
  }).then(function (json) {
    rows = json.rows;
    hay = rows.map(function (r) { return match.text(r.slice(0, 9)); });
    parts = rows.map(function (r) { return match.idParts(r[2]); });
    var wanted = new URLSearchParams(location.search).get("status");
    if (wanted && [].some.call(state.options, function (o) { return o.value === wanted; })) state.value = wanted;
    draw();
  }).catch(function (e) {
    body.innerHTML = ""; var tr = document.createElement("tr"); cell(tr, e.message).colSpan = heads.length; body.appendChild(tr);
  });
})();
