// Cloacina UI: the live part of the execution page. The server renders
// everything; this script only follows the execution's events through
// server-sent events (no polling) and updates the graph, the status and
// the event log as they arrive.
(function () {
  "use strict";
  var page = document.getElementById("execution");
  if (!page || page.dataset.live !== "true" || !window.EventSource) {
    return;
  }
  var url = page.dataset.stream + "?from=" + encodeURIComponent(page.dataset.cursor || "");
  var source = new EventSource(url);
  var log = document.querySelector("#events tbody");
  var status = document.getElementById("exec-status");
  var note = document.getElementById("live-note");
  note.hidden = false;
  note.textContent = "Following live events…";

  function cell(row, text, cls) {
    var td = document.createElement("td");
    if (cls) {
      td.className = cls;
    }
    td.textContent = text; // never innerHTML: messages are user data
    row.appendChild(td);
  }

  function setClass(el, state) {
    var keep = (el.getAttribute("class") || "").split(/\s+/).filter(function (c) {
      return c && c.indexOf("st-") !== 0;
    });
    keep.push("st-" + state);
    el.setAttribute("class", keep.join(" "));
  }

  source.onmessage = function (msg) {
    var ev = JSON.parse(msg.data);
    var row = document.createElement("tr");
    row.className = "ev-" + ev.kind + " live-row";
    cell(row, ev.at);
    cell(row, ev.kind);
    cell(row, ev.task || "", "mono");
    cell(row, ev.attempt ? String(ev.attempt) : "");
    cell(row, ev.message || "");
    cell(row, ev.runner || "", "mono");
    log.appendChild(row);
    if (ev.task && ev.state) {
      var sel = '[data-task="' + CSS.escape(ev.task) + '"]';
      var node = document.querySelector("#graph " + sel);
      if (node) {
        setClass(node, ev.state);
        var label = node.querySelector(".tst");
        if (label) {
          label.textContent = ev.label;
        }
      }
      var badge = document.querySelector("#tasks " + sel + " .badge");
      if (badge) {
        setClass(badge, ev.state);
        badge.textContent = ev.label;
      }
    }
    if (ev.status) {
      setClass(status, ev.status.toLowerCase());
      status.textContent = ev.status;
    }
  };

  source.addEventListener("end", function () {
    source.close();
    note.textContent = "The execution has ended. ";
    var a = document.createElement("a");
    a.href = window.location.pathname;
    a.textContent = "Reload for the final timeline and data.";
    note.appendChild(a);
  });

  source.onerror = function () {
    page.dataset.connected = "false";
    // EventSource reconnects by itself, resuming after the last event id.
    note.textContent = "Connection lost; reconnecting…";
  };
  source.onopen = function () {
    page.dataset.connected = "true";
    note.textContent = "Following live events…";
  };
})();
