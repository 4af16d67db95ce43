/* mlgate HTML report: draws each chart when it comes into view, sorts and filters tables.
 *
 * Charts are Vega specs (Vega-Lite templates compiled when mlgate was built), drawn as SVG
 * by the inlined Vega runtime. Each template is parsed once and fed each chart's rows
 * through named datasets. When the charts in view on opening are drawn,
 * <html data-charts-ms> holds the time since navigation started, in milliseconds, and
 * data-charts-drawn how many there were (the report's tests read them).
 */
(function () {
  "use strict";
  var payload = JSON.parse(document.getElementById("mlgate-charts").textContent);
  var parsed = {};
  var drawnCount = 0;

  function runtimeOf(name) {
    if (!parsed[name]) {
      parsed[name] = vega.parse(payload.templates[name]);
    }
    return parsed[name];
  }

  function draw(el) {
    var id = el.getAttribute("data-chart");
    var chart = payload.charts[id];
    el.removeAttribute("data-chart");
    try {
      var view = new vega.View(runtimeOf(chart.template), {
        renderer: "svg", container: el, hover: true
      });
      Object.keys(chart.data || {}).forEach(function (name) {
        view.data(name, chart.data[name]);
      });
      drawnCount += 1;
      return view.runAsync().then(function () {
        el.style.minHeight = "";
      }, function (err) {
        console.error("mlgate: chart " + id + " failed: " + err);
      });
    } catch (err) {
      console.error("mlgate: chart " + id + " failed: " + err);
      return Promise.resolve();
    }
  }

  function markReady() {
    document.documentElement.setAttribute("data-charts-ms", performance.now().toFixed(1));
    document.documentElement.setAttribute("data-charts-drawn", String(drawnCount));
  }

  var observer = null;
  var charts = Array.prototype.slice.call(document.querySelectorAll("[data-chart]"));
  if (!("IntersectionObserver" in window)) {
    Promise.all(charts.map(draw)).then(markReady);
  } else {
    var first = true;
    observer = new IntersectionObserver(function (entries) {
      var pending = [];
      entries.forEach(function (entry) {
        if (entry.isIntersecting && entry.target.hasAttribute("data-chart")) {
          observer.unobserve(entry.target);
          pending.push(draw(entry.target));
        }
      });
      if (first) {
        first = false;
        Promise.all(pending).then(markReady);
      }
    }, { rootMargin: "200px 0px" });
    charts.forEach(function (el) { observer.observe(el); });
    if (!charts.length) { markReady(); }
  }

  // The passed checks: inserted when their section is first opened.
  var passed = document.querySelector("#passed details");
  var passedBody = document.getElementById("passed-body");
  function insertPassed() {
    if (!passed.open || passedBody.hasChildNodes()) { return; }
    passedBody.insertAdjacentHTML(
      "beforeend", document.getElementById("mlgate-passed").textContent);
    Array.prototype.forEach.call(passedBody.querySelectorAll("[data-chart]"), function (el) {
      if (observer) { observer.observe(el); } else { draw(el); }
    });
  }
  passed.addEventListener("toggle", insertPassed);
  insertPassed();

  // Printing: draw every chart first (the folded ones included).
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), draw);
  });

  // Sortable tables: click a header to sort by it, again to reverse. Cells with a
  // data-v attribute sort as numbers, others as text; empty values sort last.
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      var button = th.querySelector("button");
      if (!button) { return; }
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var keyed = rows.map(function (row, i) {
          var cell = row.cells[col];
          var v = cell.getAttribute("data-v");
          var key = v === null ? cell.textContent.trim().toLowerCase() : (v === "" ? null : parseFloat(v));
          return { row: row, key: key === "" ? null : key, i: i };
        });
        keyed.sort(function (a, b) {
          if (a.key === null || b.key === null) {
            return a.key === b.key ? a.i - b.i : (a.key === null ? 1 : -1);
          }
          var c = a.key < b.key ? -1 : (a.key > b.key ? 1 : 0);
          return (ascending ? c : -c) || a.i - b.i;
        });
        keyed.forEach(function (k) { body.appendChild(k.row); });
      });
    });
  });

  // Filter boxes: show the rows of their table whose text holds every word typed.
  Array.prototype.forEach.call(document.querySelectorAll("input[data-filter]"), function (input) {
    var table = document.getElementById(input.getAttribute("data-filter"));
    var count = document.getElementById(table.id + "-count");
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var texts = rows.map(function (row) { return row.textContent.toLowerCase(); });
    input.addEventListener("input", function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      rows.forEach(function (row, i) {
        var match = words.every(function (w) { return texts[i].indexOf(w) >= 0; });
        row.hidden = !match;
        if (match) { shown += 1; }
      });
      if (count) { count.textContent = shown + " of " + rows.length; }
    });
  });
})();
