/* bangfu finder: searches the scope's finder.json in the browser (substring match, so Chinese needs no segmenter). */
(function () {
  "use strict";
  var box = document.querySelector(".bf-finder");
  if (!box) return;
  var input = box.querySelector("input");
  var status = box.querySelector(".bf-finder-status");
  var list = box.querySelector(".bf-finder-results");
  var base = box.getAttribute("data-base") || "";
  var source = box.getAttribute("data-finder");
  var LIMIT = 50;
  var match = window.bangfuMatch;
  var data = null, loading = null, hay = null;

  function masked(parts) { return parts ? parts.slice(0, 4) + "**********" + parts.slice(4) : ""; }

  function load() {
    if (!loading) {
      status.textContent = "正在载入……";
      loading = fetch(source, { credentials: "same-origin" }).then(function (r) {
        if (r.status === 401 || r.status === 403) throw new Error("denied");
        if (!r.ok) throw new Error("http " + r.status);
        return r.json();
      }).then(function (json) {
        data = json;
        hay = json.rows.map(function (row) {
          return match.text([row[0], row[1], masked(row[2]), row[5], json.regionNames[row[3]], json.categories[row[4]], row[6]]);
        });
        status.textContent = "共 " + json.rows.length + " 户，可以查找。";
        return json;
      }).catch(function (e) {
        status.textContent = e.message === "denied" ? "您的账号无权查看名单。" : "名单载入失败，请刷新重试。";
        loading = null;
        throw e;
      });
    }
    return loading;
  }

  function matches(index, terms) {
    return match.test(hay[index], data.rows[index][2], terms);
  }

  function show(terms) {
    list.innerHTML = "";
    if (!terms.length) { status.textContent = "共 " + data.rows.length + " 户，可以查找。"; return; }
    var found = 0;
    for (var i = 0; i < data.rows.length; i++) {
      if (!matches(i, terms)) continue;
      found++;
      if (found > LIMIT) continue;
      var row = data.rows[i];
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = base + "h/" + data.regions[row[3]] + "/" + row[0] + "/";
      a.textContent = row[0] + " " + row[1];
      li.appendChild(a);
      li.appendChild(document.createTextNode("　" + [masked(row[2]), data.regionNames[row[3]], data.categories[row[4]], row[6], row[5]].filter(Boolean).join("　")));
      list.appendChild(li);
    }
    status.textContent = found ? "找到 " + found + " 户" + (found > LIMIT ? "，只显示前 " + LIMIT + " 户，请输入更多字缩小范围" : "") + "。" : "没有找到。";
  }

  function run() {
    var terms = match.words(input.value);
    load().then(function () { show(terms); }, function () {});
  }

  input.addEventListener("focus", function () { load().catch(function () {}); });
  input.addEventListener("input", run);
  // A query in the address (?find=…; ?q=… from older links) fills the finder. The theme's search box opens on
  // ?q= too, so that parameter is taken out of the address before the theme's script runs (it runs after this).
  var params = new URLSearchParams(location.search);
  var q = params.get("find") || params.get("q");
  if (params.has("q")) {
    params.delete("q");
    if (q) params.set("find", q);
    history.replaceState(history.state, "", location.pathname + (params.toString() ? "?" + params : "") + location.hash);
  }
  if (q) { input.value = q; run(); }
})();
