// demine dashboard: our own small script. Pages work without it; it makes the as-of slider
// live and the hazard map fluid (drag to pan, wheel to zoom), fetching views the server draws.
(function () {
  "use strict";
  function onReady(f) { if (document.readyState !== "loading") f(); else document.addEventListener("DOMContentLoaded", f); }
  onReady(function () {
    var year = document.getElementById("year"), date = document.getElementById("as_of"), out = document.getElementById("year-out");
    if (year && date) {
      var timer = null;
      year.addEventListener("input", function () {
        if (out) out.textContent = year.value;
        var now = new Date().getFullYear();
        date.value = (+year.value === now) ? date.max : year.value + "-12-31";
        clearTimeout(timer);
        timer = setTimeout(function () { date.form.submit(); }, 250);
      });
      date.addEventListener("change", function () { year.disabled = true; date.form.submit(); });
      var colour = document.getElementById("colour");
      if (colour) colour.addEventListener("change", function () { year.disabled = true; colour.form.submit(); });
    }
    var map = document.getElementById("hazmap");
    if (map) fluid(map);
  });

  function fluid(box) {
    var svg = function () { return box.querySelector("svg"); };
    var pending = null, drag = null, moved = false;
    function bbox() { return svg().getAttribute("data-bbox").split(",").map(Number); }
    function load(b) {
      var s = svg(), w = s.getAttribute("data-w"), h = s.getAttribute("data-h");
      var url = "/hazards/view.svg?bbox=" + b.map(function (x) { return x.toFixed(6); }).join(",") + "&w=" + w + "&h=" + h;
      if (pending) pending.abort();
      pending = new AbortController();
      fetch(url, { signal: pending.signal, credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
        .then(function (t) { box.innerHTML = t; var u = new URL(location.href); u.searchParams.set("bbox", b.map(function (x) { return x.toFixed(5); }).join(",")); history.replaceState(null, "", u); })
        .catch(function () {});
    }
    box.addEventListener("pointerdown", function (e) {
      drag = { x: e.clientX, y: e.clientY, b: bbox(), r: svg().getBoundingClientRect() }; moved = false;
    });
    window.addEventListener("pointermove", function (e) {
      if (!drag) return;
      var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 4) { moved = true; box.classList.add("dragging"); svg().style.transform = "translate(" + dx + "px," + dy + "px)"; }
    });
    window.addEventListener("pointerup", function (e) {
      if (!drag) return;
      var d = drag; drag = null; box.classList.remove("dragging");
      if (!moved) return;
      var b = d.b, fx = (e.clientX - d.x) / d.r.width * (b[2] - b[0]), fy = (e.clientY - d.y) / d.r.height * (b[3] - b[1]);
      load([b[0] - fx, b[1] + fy, b[2] - fx, b[3] + fy]);
    });
    box.addEventListener("click", function (e) { if (moved) { e.preventDefault(); moved = false; } }, true);
    box.addEventListener("wheel", function (e) {
      e.preventDefault();
      var b = bbox(), r = svg().getBoundingClientRect();
      var k = e.deltaY > 0 ? 1.5 : 1 / 1.5;
      var px = b[0] + (e.clientX - r.left) / r.width * (b[2] - b[0]);
      var py = b[3] - (e.clientY - r.top) / r.height * (b[3] - b[1]);
      load([px - (px - b[0]) * k, py - (py - b[1]) * k, px + (b[2] - px) * k, py + (b[3] - py) * k]);
    }, { passive: false });
  }
})();
