/* 救助助手 — plain JavaScript: the web chat without page reloads, search as you type, print. */
(function () {
  "use strict";

  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined) n.textContent = text;
    return n;
  }

  // ---------------------------------------------------------------- chat
  var chat = document.getElementById("chat");
  if (chat) {
    var session = chat.getAttribute("data-session");
    var log = document.getElementById("log");
    var composer = document.getElementById("composer");
    var input = document.getElementById("text");
    var busy = false;

    var addUser = function (text) {
      var m = el("div", "msg user");
      m.appendChild(el("p", "bubble", text));
      log.appendChild(m);
    };
    var addBot = function (msg) {
      var m = el("div", "msg bot kind-" + (msg.kind || "info"));
      m.appendChild(el("p", "bubble", msg.text));
      if (msg.buttons && msg.buttons.length) {
        var box = el("div", "buttons");
        msg.buttons.forEach(function (b) {
          var btn = el("button", "", b.label);
          btn.type = "button";
          btn.setAttribute("data-label", b.label);
          box.appendChild(btn);
        });
        m.appendChild(box);
      }
      log.appendChild(m);
    };
    var send = function (text, show) {
      if (busy) return;
      busy = true;
      if (show) addUser(text);
      fetch("/api/v1/chat", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ session: session, text: text })
      }).then(function (r) {
        return r.json().then(function (data) { return { ok: r.ok, data: data }; });
      }).then(function (res) {
        if (res.ok) {
          (res.data.messages || []).forEach(addBot);
        } else {
          var d = (res.data.detail && res.data.detail[0]) || {};
          addBot({ text: d.message_zh || "出了点问题，请再试一次。", kind: "error" });
        }
      }).catch(function () {
        addBot({ text: "网络不通，请稍后再试。", kind: "error" });
      }).then(function () {
        busy = false;
        var last = log.lastElementChild;
        if (last && last.scrollIntoView) last.scrollIntoView({ block: "end" });
      });
    };

    // the page was rendered with server-side forms; switch the buttons to fetch
    chat.addEventListener("click", function (ev) {
      var t = ev.target;
      if (!(t instanceof HTMLButtonElement)) return;
      var label = t.getAttribute("data-label") || (t.closest(".buttons, .restart") ? t.value : null);
      if (label === null || label === undefined) return;
      ev.preventDefault();
      if (label === "/start") {
        log.textContent = "";
        send("/start", false);
        return;
      }
      var group = t.parentNode;
      if (group && group.classList.contains("buttons")) {
        Array.prototype.forEach.call(group.querySelectorAll("button"), function (b) { b.disabled = true; });
      }
      send(label, true);
    });
    composer.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      input.value = "";
      send(text, true);
    });
  }

  // ---------------------------------------------------------------- FAQ search as you type
  var faqForm = document.getElementById("faq-form");
  if (faqForm) {
    var q = document.getElementById("q");
    var region = document.getElementById("region");
    var out = document.getElementById("faq-results");
    var timer = null;
    var seq = 0;
    var show = function (data) {
      out.textContent = "";
      if (!data.hits || !data.hits.length) {
        out.appendChild(el("p", "faq-msg", data.message || "没有找到，换个说法试试，或拨打12393。"));
        return;
      }
      // not sure and nothing near: the plain message (12393, the local office), no cited answers
      if (!data.confident && !(data.choices || []).length) { out.appendChild(el("p", "faq-msg", data.message)); return; }
      if (!data.confident) out.appendChild(el("p", "faq-msg", "没有找到确切答案，下面几条可能有帮助；也可以拨打12393。"));
      data.hits.forEach(function (h) {
        var a = el("article", "hit");
        a.appendChild(el("h2", "", h.question));
        var tags = el("p", "tags");
        (h.region_names || []).forEach(function (n) { tags.appendChild(el("span", "tag", n)); });
        a.appendChild(tags);
        a.appendChild(el("p", "answer", h.answer));
        if (h.detail) {
          var d = el("details");
          d.appendChild(el("summary", "", "详细说明"));
          d.appendChild(el("p", "", h.detail));
          a.appendChild(d);
        }
        a.appendChild(el("p", "clause", "依据：" + (h.cite || []).join("；")));
        out.appendChild(a);
      });
    };
    var search = function () {
      var text = q.value.trim();
      var mine = ++seq;
      if (!text) { out.textContent = ""; return; }
      var url = "/api/v1/faq?live=1&top=5&q=" + encodeURIComponent(text) +
        (region.value ? "&region=" + encodeURIComponent(region.value) : "");
      fetch(url).then(function (r) { return r.json(); }).then(function (data) {
        if (mine !== seq) return;
        if (data.detail) {
          out.textContent = "";
          out.appendChild(el("p", "faq-msg", (data.detail[0] || {}).message_zh || ""));
          return;
        }
        show(data);
      }).catch(function () {});
    };
    q.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(search, 250); });
    region.addEventListener("change", search);
  }

  // ---------------------------------------------------------------- print
  Array.prototype.forEach.call(document.querySelectorAll("[data-action=print]"), function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
})();
