/* 家庭年度台账: the bills live in this browser (localStorage) and in files the cadre exports; the
   server only computes them (POST /cadre/household) and keeps nothing. */
(function () {
  "use strict";
  var KEY = "jiuzhu.household";
  var body = document.querySelector("#bills tbody"), tpl = document.getElementById("bill-row");
  var FIELDS = ["date", "care", "self_pay", "special_disease", "hospital_level", "stay_policy_total"];

  function renumber() {
    Array.prototype.forEach.call(body.rows, function (tr, i) { tr.cells[0].textContent = "第" + (i + 1) + "笔"; });
  }
  function addBill(bill) {
    var tr = tpl.content.firstElementChild.cloneNode(true);
    FIELDS.forEach(function (f) { var el = tr.querySelector("[name=" + f + "]"); if (bill && bill[f] != null) { el.value = bill[f]; } });
    tr.querySelector(".remove").addEventListener("click", function () { tr.remove(); renumber(); save(); });
    tr.addEventListener("change", save);
    body.appendChild(tr);
    renumber();
    return tr;
  }
  function ledger() {
    var bills = Array.prototype.map.call(body.rows, function (tr) {
      var b = {};
      FIELDS.forEach(function (f) { b[f] = tr.querySelector("[name=" + f + "]").value; });
      return b;
    });
    return { id: val("h-id"), region: val("h-region"), identities: val("h-identities"), bills: bills };
  }
  function val(id) { return document.getElementById(id).value.trim(); }
  function load(data) {
    document.getElementById("h-id").value = data.id || "";
    document.getElementById("h-region").value = data.region || "";
    document.getElementById("h-identities").value = data.identities || "";
    body.innerHTML = "";
    (data.bills && data.bills.length ? data.bills : [{}]).forEach(addBill);
  }
  function save() { try { localStorage.setItem(KEY, JSON.stringify(ledger())); } catch (e) { /* private mode: the file still works */ } }
  function error(text) { var p = document.getElementById("h-error"); p.textContent = text || ""; p.hidden = !text; }

  function show(result) {
    var tb = document.querySelector("#year-table tbody");
    tb.innerHTML = "";
    result.bills.forEach(function (b) {
      var tr = document.createElement("tr"), y = b.year_to_date_text;
      [["第几笔", "第" + b.number + "笔"], ["之前已自付", y.self_pay], ["之前已救助", y.aid], ["之前倾斜救助", y.tilt_aid],
       ["本笔估算救助", b.assistance_text]].forEach(function (c) {
        var td = document.createElement("td"); td.setAttribute("data-label", c[0]); td.textContent = c[1]; tr.appendChild(td);
      });
      var td = document.createElement("td"), a = document.createElement("a");
      a.href = b.link; a.textContent = "看计算过程"; a.target = "_blank"; td.setAttribute("data-label", "详情"); td.appendChild(a); tr.appendChild(td);
      tb.appendChild(tr);
    });
    document.getElementById("year-total").textContent = result.total_text;
    var ul = document.getElementById("year-notes"); ul.innerHTML = "";
    result.notes.forEach(function (n) { var li = document.createElement("li"); li.textContent = n; ul.appendChild(li); });
    document.getElementById("year").hidden = false;
  }
  function compute() {
    error(""); save();
    var data = ledger(), ids = data.identities ? data.identities.split(/[、,，;；\s]+/).filter(Boolean) : [];
    var req = { id: data.id, region: data.region, identities: ids, bills: data.bills };
    fetch("/cadre/household", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(req) })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
      .then(function (r) {
        if (!r.ok) { var d = r.body.detail || {}; error(d.message_zh || d.message || "没有算出来，请检查填写。"); return; }
        show(r.body);
      })
      .catch(function () { error("连不上服务器，请稍后再试。"); });
  }
  document.getElementById("add-bill").addEventListener("click", function () { addBill({}).querySelector("input").focus(); save(); });
  document.getElementById("compute").addEventListener("click", compute);
  document.getElementById("clear").addEventListener("click", function () { load({}); save(); document.getElementById("year").hidden = true; });
  document.getElementById("export").addEventListener("click", function () {
    var data = ledger(), a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([JSON.stringify(data, null, 1)], { type: "application/json" }));
    a.download = "台账-" + (data.id || "未编号") + ".json";
    document.body.appendChild(a); a.click(); a.remove();
  });
  document.getElementById("import").addEventListener("change", function (ev) {
    var f = ev.target.files[0]; if (!f) { return; }
    f.text().then(function (t) {
      try { load(JSON.parse(t)); save(); error(""); } catch (e) { error("这个文件不是台账文件。"); }
    });
  });
  ["h-id", "h-region", "h-identities"].forEach(function (id) { document.getElementById(id).addEventListener("change", save); });
  var stored = null;
  try { stored = JSON.parse(localStorage.getItem(KEY) || "null"); } catch (e) { stored = null; }
  load(stored || {});
}());
