// The household form in the browser: live checking beside the fields, the eligibility trace beside the form,
// drafts saved on the server, repeatable rows added, and “其他” revealing its 注明 field.
// Served by the desk itself (no CDN); no inline code, so the site's content security policy needs no 'unsafe-inline'.
// Without this script the form still works: 检查 and 提交审核 show the same messages from the server.
(function () {
  "use strict";
  var form = document.getElementById("record");
  if (!form) {
    return;
  }
  var CHECK_DELAY = 400; // ms after the last change
  var DRAFT_DELAY = 1500;
  var checkTimer = null;
  var draftTimer = null;
  var checkSeq = 0;
  var draftStatus = document.getElementById("draft-status");

  function body() {
    return new URLSearchParams(new FormData(form));
  }

  function post(url, data) {
    return fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (answer) {
      if (!answer.ok) {
        throw new Error(String(answer.status));
      }
      return answer.json();
    });
  }

  function keyed(name) {
    if (!name) {
      return null;
    }
    return form.querySelector('[data-key="' + CSS.escape(name) + '"]');
  }

  function showProblems(problems) {
    var old = form.querySelectorAll(".problem");
    var i;
    for (i = 0; i < old.length; i++) {
      old[i].remove();
    }
    var bad = form.querySelectorAll(".bad");
    for (i = 0; i < bad.length; i++) {
      bad[i].classList.remove("bad");
    }
    var general = document.getElementById("general");
    Object.keys(problems).forEach(function (name) {
      var place = keyed(name);
      var where = place || general;
      if (place) {
        place.classList.add("bad");
      }
      problems[name].forEach(function (text) {
        var line = document.createElement("div");
        line.className = "problem";
        line.setAttribute("data-field", name);
        line.textContent = text;
        if (place && place.tagName === "FIELDSET") {
          var legend = place.querySelector("legend");
          legend.insertAdjacentElement("afterend", line);
        } else {
          where.appendChild(line);
        }
      });
    });
  }

  function showTrace(answer) {
    var steps = document.getElementById("steps");
    steps.textContent = "";
    answer.trace.forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      steps.appendChild(item);
    });
    document.getElementById("conclusion").textContent = answer.conclusion;
    document.getElementById("no-trace").hidden = answer.trace.length > 0;
    document.getElementById("summary").textContent =
      (answer.errors ? answer.errors + " 个错误" : "没有错误") + "，" + answer.warnings + " 个提示";
  }

  function check() {
    var seq = ++checkSeq;
    post(form.getAttribute("data-live"), body())
      .then(function (answer) {
        if (seq !== checkSeq) {
          return; // a later check is on its way
        }
        showProblems(answer.problems);
        showTrace(answer);
        form.setAttribute("data-checked", String(seq));
      })
      .catch(function () {
        document.getElementById("summary").textContent = "暂时无法检查（网络或登录已过期），提交时仍会检查。";
      });
  }

  function saveDraft() {
    if (form.getAttribute("data-leaving")) {
      return;
    }
    draftStatus.textContent = "正在保存草稿…";
    post(form.getAttribute("data-draft"), body())
      .then(function (answer) {
        draftStatus.textContent = answer.saved ? "草稿已保存（" + answer.saved.slice(11, 19) + " UTC）" : answer.error;
        form.setAttribute("data-saved", answer.saved || "");
        if (answer.saved) {
          document.getElementById("discard").hidden = false;
        }
      })
      .catch(function () {
        draftStatus.textContent = "草稿未能保存（网络或登录已过期），请不要关闭页面。";
      });
  }

  function changed() {
    if (form.getAttribute("data-leaving")) {
      return;
    }
    clearTimeout(checkTimer);
    clearTimeout(draftTimer);
    checkTimer = setTimeout(check, CHECK_DELAY);
    draftTimer = setTimeout(saveDraft, DRAFT_DELAY);
  }

  // “其他” reveals its 注明 field (shown anyway when it already holds text)
  function others() {
    var notes = form.querySelectorAll("[data-other-of]");
    for (var i = 0; i < notes.length; i++) {
      var name = notes[i].getAttribute("data-other-of");
      var chosen = form.querySelectorAll('[name="' + CSS.escape(name) + '"]');
      var other = false;
      for (var j = 0; j < chosen.length; j++) {
        var input = chosen[j];
        if ((input.type === "checkbox" && input.checked && input.value === "其他") ||
            (input.tagName === "SELECT" && input.value === "其他")) {
          other = true;
        }
      }
      var text = notes[i].querySelector("input, textarea");
      notes[i].hidden = !other && !(text && text.value);
    }
  }

  function addRow(button) {
    var group = keyed(button.getAttribute("data-for"));
    var count = group.querySelector(".row-count");
    var index = Number(count.value);
    var template = group.querySelector(":scope > template.row-template");
    var html = template.innerHTML.split("__i__").join(String(index));
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var row = holder.firstElementChild;
    button.parentNode.insertAdjacentElement("beforebegin", row);
    count.value = String(index + 1);
    var first = row.querySelector("input, select, textarea");
    if (first) {
      first.focus();
    }
    others();
    changed();
  }

  function markRemoved(box) {
    var row = box.closest(".row");
    if (row) {
      row.classList.toggle("removed", box.checked);
    }
  }

  // the empty row left for a new item without JavaScript: the 添加 buttons take its place
  var blank = form.querySelectorAll("fieldset.row.blank");
  for (var b = 0; b < blank.length; b++) {
    if (blank[b].parentElement.querySelector(":scope > template.row-template")) {
      blank[b].remove();
    }
  }
  var shown = form.querySelectorAll(".js-only");
  for (var i = 0; i < shown.length; i++) {
    shown[i].hidden = false;
  }
  form.addEventListener("submit", function () {
    // the page is leaving: no draft may be written after the submission deletes it
    clearTimeout(checkTimer);
    clearTimeout(draftTimer);
    draftTimer = null;
    form.setAttribute("data-leaving", "1");
  });
  form.addEventListener("input", changed);
  form.addEventListener("change", function (event) {
    if (event.target.name && /-删除$/.test(event.target.name)) {
      markRemoved(event.target);
    }
    others();
    changed();
  });
  form.addEventListener("click", function (event) {
    var button = event.target.closest("button.add-row");
    if (button) {
      event.preventDefault();
      addRow(button);
    }
  });
  others();
  check();
})();
