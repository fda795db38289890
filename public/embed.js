/*! Enrôle — pré-inscription RPPS+ intégrée. AGPL-3.0-or-later. Sans dépendance.
 * <script src="https://ENROLE/embed.js" async></script><div data-enrole-form data-finess="NNNNNNNNN"></div>
 * Évènements sur l'élément : enrole:loaded, enrole:step {step}, enrole:submitted {reference}. */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || !me.src || window.EnroleEmbed) return;
  // Messages are accepted from, and iframes point to, the origin this file was loaded from: nothing else.
  var ORIGIN = new URL(me.src).origin;
  var frames = [];
  window.EnroleEmbed = { scan: scan };

  function fire(el, type, detail) {
    el.dispatchEvent(new CustomEvent(type, { detail: detail, bubbles: true }));
  }

  function mount(el) {
    if (el.getAttribute("data-enrole-mounted")) return;
    var finess = (el.getAttribute("data-finess") || "").trim();
    if (!/^[0-9A-Za-z]{9}$/.test(finess)) {
      console.error("Enrôle : data-finess doit contenir les 9 caractères du FINESS du site.");
      return;
    }
    el.setAttribute("data-enrole-mounted", "1");
    // The form's first step is about this tall (narrow: 360 px phones): reserving it keeps the page from jumping.
    var reserved = parseInt(el.getAttribute("data-height"), 10) || (el.clientWidth < 500 ? 720 : 560);
    var f = document.createElement("iframe");
    f.setAttribute("sandbox", "allow-scripts allow-forms allow-same-origin");
    f.title = "Formulaire de pré-inscription RPPS+";
    f.style.cssText = "display:block;width:100%;border:0;height:" + reserved + "px";
    var parent = location.origin;
    f.src = ORIGIN + "/integration/formulaire?finess=" + encodeURIComponent(finess) +
      (parent && parent !== "null" ? "&parent=" + encodeURIComponent(parent) : "");
    el.appendChild(f);
    frames.push({ el: el, f: f });
  }

  function scan() {
    var all = document.querySelectorAll("[data-enrole-form]");
    for (var i = 0; i < all.length; i++) mount(all[i]);
  }

  addEventListener("message", function (e) {
    var d = e.data;
    if (e.origin !== ORIGIN || !d || typeof d !== "object") return;
    for (var i = 0; i < frames.length; i++) {
      var x = frames[i];
      if (e.source !== x.f.contentWindow) continue;
      if (d.type === "enrole:loaded" || d.type === "enrole:resize") {
        var h = d.height;
        if (typeof h !== "number" || !(h >= 100 && h <= 30000)) return;
        h = Math.ceil(h);
        if (Math.abs(h - x.f.offsetHeight) > 1) x.f.style.height = h + "px";
        if (d.type === "enrole:loaded") fire(x.el, "enrole:loaded", {});
      } else if (d.type === "enrole:step") {
        if (typeof d.step !== "number" || d.step % 1 || d.step < 0 || d.step > 6) return;
        // The new step starts at the top of the frame: bring it into view if the host page scrolled past it.
        if (x.f.getBoundingClientRect().top < 0) x.f.scrollIntoView();
        fire(x.el, "enrole:step", { step: d.step });
      } else if (d.type === "enrole:submitted") {
        if (typeof d.reference !== "string" || !/^[A-Z0-9-]{4,40}$/.test(d.reference)) return;
        fire(x.el, "enrole:submitted", { reference: d.reference });
      }
      return;
    }
  });

  scan();
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", scan);
})();
