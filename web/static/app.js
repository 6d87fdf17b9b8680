/* 救助助手 — plain JavaScript: the web chat without page reloads, search as you type, print. */
(function () {
  "use strict";

  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined) n.textContent = text;
    return n;
  }

  // ---------------------------------------------------------------- 长辈版 (remembered: localStorage + cookie)
  var ELDER_KEY = "jz-elder";
  var setElder = function (on) {
    document.body.classList.toggle("elder", on);
    try { localStorage.setItem(ELDER_KEY, on ? "1" : "0"); } catch (e) { /* private mode */ }
    document.cookie = "jz_elder=" + (on ? "1" : "0") + "; path=/; max-age=31536000; samesite=lax";
    var t = document.getElementById("elder-toggle");
    if (t) {
      t.setAttribute("aria-pressed", on ? "true" : "false");
      t.setAttribute("href", "/elder?on=" + (on ? 0 : 1) + "&next=" + encodeURIComponent(location.pathname));
    }
  };
  (function () {
    var stored = null;
    try { stored = localStorage.getItem(ELDER_KEY); } catch (e) { /* private mode */ }
    var server = document.body.classList.contains("elder");
    if (stored !== null && (stored === "1") !== server) setElder(stored === "1");
    var t = document.getElementById("elder-toggle");
    if (t) t.addEventListener("click", function (ev) {
      ev.preventDefault();
      setElder(!document.body.classList.contains("elder"));
    });
  })();

  // ---------------------------------------------------------------- read aloud, print, share
  var canSay = "speechSynthesis" in window && typeof window.SpeechSynthesisUtterance === "function";
  var messageText = function (msg) {
    var b = msg.querySelector(".bubble");
    return b ? (b.innerText || b.textContent || "").trim() : "";
  };
  var say = function (text) {
    if (!canSay || !text) return;
    window.speechSynthesis.cancel();
    var u = new SpeechSynthesisUtterance(text);
    u.lang = "zh-CN";
    u.rate = 0.9;  // a little slower: the listeners are often old
    window.speechSynthesis.speak(u);
  };
  var printOne = function (msg) {
    document.body.classList.add("print-one");
    msg.classList.add("printing");
    var done = function () {
      document.body.classList.remove("print-one");
      msg.classList.remove("printing");
      window.removeEventListener("afterprint", done);
    };
    // cleared after printing (the classes matter only to print CSS, so a browser that never says
    // "afterprint" keeps showing the same screen)
    window.addEventListener("afterprint", done);
    window.print();
  };
  var notice = function (msg, text) {
    var n = msg.querySelector(".tool-note");
    if (!n) { n = el("p", "tool-note"); n.setAttribute("role", "status"); msg.appendChild(n); }
    n.textContent = text;
  };
  var share = function (msg) {
    var link = msg.querySelector("[data-share-url]");
    var url = link ? link.href : location.origin + "/";
    var text = messageText(msg) + "\n（救助助手的估算，打开链接可看同样的结果：" + url + "）";
    if (navigator.share) {
      navigator.share({ title: "医疗救助估算", text: text }).catch(function () {});
      return;
    }
    var copied = function () { notice(msg, "已复制，可以粘贴到微信发给家人。"); };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(copied, function () { notice(msg, "请长按上面的文字复制。"); });
    } else {
      notice(msg, "请长按上面的文字复制。");
    }
  };
  var showTools = function (root) {
    Array.prototype.forEach.call(root.querySelectorAll(".msg-tools"), function (box) {
      var sayBtn = box.querySelector("[data-action=say]");
      if (sayBtn && !canSay) sayBtn.remove();
      if (box.children.length) box.hidden = false;
    });
  };
  document.addEventListener("click", function (ev) {
    var t = ev.target instanceof Element ? ev.target.closest(".msg-tools button") : null;
    if (!t) return;
    var msg = t.closest(".msg");
    var action = t.getAttribute("data-action");
    if (action === "say") say(messageText(msg));
    else if (action === "print") printOne(msg);
    else if (action === "share") share(msg);
  });

  // ---------------------------------------------------------------- chat
  var chat = document.getElementById("chat");
  if (chat) {
    var log = document.getElementById("log");
    var composer = document.getElementById("composer");
    var input = document.getElementById("text");
    var busy = false;
    var HISTORY_KEY = "jz-log";  // per tab (sessionStorage); the mark ties it to the saved state

    // what this tab has shown, kept for a reload (in the browser only, gone when the tab closes)
    var keep = function (mark) {
      try { sessionStorage.setItem(HISTORY_KEY, JSON.stringify({ mark: mark, html: log.innerHTML })); } catch (e) { /* full */ }
    };
    var restore = function () {
      var saved = null;
      try { saved = JSON.parse(sessionStorage.getItem(HISTORY_KEY) || "null"); } catch (e) { saved = null; }
      if (saved && saved.html && saved.mark && saved.mark === chat.getAttribute("data-mark")) {
        log.innerHTML = saved.html;  // our own markup, rendered by the server before
        // the question the user is on can be answered again (a tap whose reply never came disabled it)
        var bots = log.querySelectorAll(".msg.bot");
        var current = bots.length ? bots[bots.length - 1] : null;
        if (current) Array.prototype.forEach.call(current.querySelectorAll(".buttons button"), function (b) { b.disabled = false; });
        return true;
      }
      return false;
    };
    var land = function (node) {  // scroll to the new question and move focus there
      if (!node) return;
      node.setAttribute("tabindex", "-1");
      node.scrollIntoView({ block: "start" });
      node.focus({ preventScroll: true });
    };
    var addUser = function (text) {
      var m = el("div", "msg user");
      m.appendChild(el("p", "bubble", text));
      log.appendChild(m);
    };
    var addError = function (text) {
      var m = el("div", "msg bot kind-error");
      m.appendChild(el("p", "bubble", text));
      log.appendChild(m);
      return m;
    };
    var enable = function (group) {
      if (group) Array.prototype.forEach.call(group.querySelectorAll("button"), function (b) { b.disabled = false; });
    };
    var send = function (text, show, fresh, group) {
      if (busy) return;
      busy = true;
      if (show) addUser(text);
      var body = new URLSearchParams();
      body.set("text", text);
      var firstNew = null;
      fetch("/chat/part", { method: "POST", body: body, credentials: "same-origin" }).then(function (r) {
        return r.text().then(function (html) { return { ok: r.ok, status: r.status, html: html, mark: r.headers.get("X-Chat-Mark") || "" }; });
      }).then(function (res) {
        if (!res.ok) {
          firstNew = addError(res.status === 429 ? "点得太快了，请等一会儿再试。" : "出了点问题，请再试一次。");
          enable(group);  // the same button can be tapped again
          return;
        }
        if (fresh) log.textContent = "";  // 重新开始: the old conversation goes only when the new one came
        var box = document.createElement("div");
        box.innerHTML = res.html;  // server-rendered, escaped by the template
        Array.prototype.forEach.call(log.querySelectorAll(".msg[data-last]"), function (m) { m.removeAttribute("data-last"); });
        showTools(box);
        while (box.firstElementChild) {
          var node = box.firstElementChild;
          if (!firstNew) firstNew = node;
          log.appendChild(node);
        }
        chat.setAttribute("data-mark", res.mark);
        keep(res.mark);
      }).catch(function () {
        firstNew = addError("网络不通，请稍后再试。");
        enable(group);
      }).then(function () {
        busy = false;
        var last = log.querySelector(".msg[data-last]") || log.lastElementChild;
        land(last && last.classList.contains("kind-question") || !firstNew ? last : firstNew);
      });
    };

    if (chat.hasAttribute("data-resumed") && restore()) {
      land(log.querySelector(".msg[data-last]") || log.lastElementChild);
    } else {
      keep(chat.getAttribute("data-mark"));
      if (chat.hasAttribute("data-resumed")) land(log.lastElementChild);
    }
    showTools(log);

    // the page was rendered with server-side forms; switch the buttons to fetch
    chat.addEventListener("click", function (ev) {
      var t = ev.target;
      if (!(t instanceof HTMLButtonElement)) return;
      if (!t.closest(".buttons, .restart")) return;
      var label = t.value;
      if (label === null || label === undefined || label === "") return;
      ev.preventDefault();
      if (label === "/start") {
        send("/start", false, true);
        return;
      }
      var group = t.parentNode && t.parentNode.classList.contains("buttons") ? t.parentNode : null;
      if (group) {
        Array.prototype.forEach.call(group.querySelectorAll("button"), function (b) { b.disabled = true; });
      }
      send(label, true, false, group);
    });
    composer.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      input.value = "";
      send(text, true, false);
    });

    // voice input where the browser has it (hidden otherwise)
    var Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
    var mic = document.getElementById("mic");
    if (Recognition && mic) {
      mic.hidden = false;
      mic.addEventListener("click", function () {
        var rec = new Recognition();
        rec.lang = "zh-CN";
        rec.interimResults = false;
        rec.onresult = function (e) {
          var said = e.results && e.results[0] && e.results[0][0] ? e.results[0][0].transcript : "";
          if (said) { input.value = said; input.focus(); }
        };
        rec.onend = function () { mic.classList.remove("listening"); };
        mic.classList.add("listening");
        rec.start();
      });
    }
  } else {
    showTools(document);
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
