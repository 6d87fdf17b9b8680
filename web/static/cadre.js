/* The cadre's desk, plain JavaScript: the roster's filters and pages. Without JavaScript every row
   is shown; nothing here sends data anywhere. */
(function () {
  "use strict";
  var table = document.querySelector("table.roster");
  if (!table) { return; }
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr"));
  var size = parseInt(table.getAttribute("data-page-size"), 10) || 50;
  var group = "", page = 0;
  var pager = document.getElementById("pager"), info = document.getElementById("page-info");

  function chosen() { return rows.filter(function (r) { return !group || r.getAttribute("data-group") === group; }); }

  function show() {
    var list = chosen(), pages = Math.max(1, Math.ceil(list.length / size));
    page = Math.min(page, pages - 1);
    rows.forEach(function (r) { r.hidden = true; });
    list.slice(page * size, (page + 1) * size).forEach(function (r) { r.hidden = false; });
    pager.hidden = pages < 2;
    info.textContent = "第" + (page + 1) + "页，共" + pages + "页（" + list.length + "行）";
    document.getElementById("prev-page").disabled = page === 0;
    document.getElementById("next-page").disabled = page >= pages - 1;
  }

  Array.prototype.forEach.call(document.querySelectorAll("#filters .filter"), function (b) {
    b.addEventListener("click", function () {
      group = b.getAttribute("data-group");
      page = 0;
      Array.prototype.forEach.call(document.querySelectorAll("#filters .filter"), function (o) {
        o.setAttribute("aria-pressed", o === b ? "true" : "false");
      });
      show();
    });
  });
  document.getElementById("prev-page").addEventListener("click", function () { page -= 1; show(); });
  document.getElementById("next-page").addEventListener("click", function () { page += 1; show(); });
  show();
}());
