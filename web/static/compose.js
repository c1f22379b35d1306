// Progressive enhancement for the compose page: while the officer types a person, ask the
// node (debounced) whether it already holds them or was told about them, and show the
// answer in place. Without this script the "Check persons" button does the same.
(function () {
  "use strict";
  var form = document.getElementById("compose");
  var out = document.getElementById("draft-hits");
  if (!form || !out || !window.fetch) return;
  var timer = null;
  var latest = 0;
  function check() {
    var mine = ++latest;
    var data = new URLSearchParams(new FormData(form));
    data.set("action", "check");
    out.setAttribute("aria-busy", "true");
    fetch("/compose/check", { method: "POST", body: data, credentials: "same-origin" })
      .then(function (res) { return res.text(); })
      .then(function (html) {
        if (mine !== latest) return; // a newer check is on its way
        out.innerHTML = html; // server-rendered by html/template, escaped there
        out.removeAttribute("aria-busy");
      })
      .catch(function () { out.removeAttribute("aria-busy"); });
  }
  form.addEventListener("input", function (e) {
    if (!e.target.name || !/^p\d+_(name|aliases|born|nat|doc)$/.test(e.target.name)) return;
    clearTimeout(timer);
    timer = setTimeout(check, 500);
  });
})();
