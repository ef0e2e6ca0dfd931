/* Public Good Market — small progressive enhancements; every page works without it.
 *
 * - Wide tables, code blocks and charts scroll inside a focusable, labelled region
 *   (role=region, tabindex=0) instead of scrolling the page sideways.
 * - Focus after htmx swaps: a form that comes back with errors focuses its first
 *   invalid field (or its error summary); a pager moves focus to the new rows; focus
 *   that would fall to <body> goes to the swapped region instead.
 * - Swapped results are announced through one polite live region (#live in
 *   base.html) that is never itself replaced.
 * - [data-print] buttons print the page (no javascript: URLs under our CSP).
 */
(function () {
  "use strict";

  function labelFor(el) {
    var caption = el.querySelector("caption, figcaption, title");
    if (caption && caption.textContent.trim()) return caption.textContent.trim();
    var section = el.closest("section, article, main");
    var heading = section && section.querySelector("h1, h2, h3");
    if (heading && heading.textContent.trim()) return heading.textContent.trim();
    return document.title;
  }

  function makeRegion(el, label) {
    el.setAttribute("role", "region");
    el.setAttribute("tabindex", "0");
    if (!el.hasAttribute("aria-label") && !el.hasAttribute("aria-labelledby")) {
      el.setAttribute("aria-label", label);
    }
  }

  function scrollRegions(root) {
    root.querySelectorAll("table, svg.chart").forEach(function (wide) {
      var parent = wide.parentElement;
      // Already in a region: ours, or one the page renders for readers without JavaScript.
      if (!parent || parent.classList.contains("scroll") || parent.classList.contains("table-scroll")) return;
      var wrapper = document.createElement("div");
      wrapper.className = "scroll";
      parent.insertBefore(wrapper, wide);
      wrapper.appendChild(wide);
      makeRegion(wrapper, labelFor(wide));
    });
    root.querySelectorAll("pre").forEach(function (pre) {
      if (!pre.hasAttribute("tabindex")) makeRegion(pre, labelFor(pre.parentElement || pre));
    });
  }

  function focusable(el) {
    if (!el.matches("a[href], button, input, select, textarea, [tabindex]")) {
      el.setAttribute("tabindex", "-1");
    }
    el.focus({ preventScroll: false });
  }

  function announce(text) {
    var live = document.getElementById("live");
    if (!live || !text) return;
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 50);
  }

  function summary(el) {
    var marked = el.querySelector("[data-announce]") || (el.matches("[data-announce]") ? el : null);
    if (marked) return marked.getAttribute("data-announce") || marked.textContent.trim();
    return "";
  }

  // Focus is only moved when the person was working in the swapped part (a form
  // they submitted, a pager they used): a fragment that loads by itself never
  // steals focus.
  var fromPager = false;
  var hadFocus = false;

  document.addEventListener("htmx:beforeRequest", function (event) {
    var source = event.detail && event.detail.elt;
    fromPager = !!(source && source.closest && source.closest(".pager"));
    var target = event.detail && event.detail.target;
    if (target && target.setAttribute) target.setAttribute("aria-busy", "true");
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.removeAttribute) target.removeAttribute("aria-busy");
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var active = document.activeElement;
    var target = event.detail && event.detail.target;
    var config = (event.detail && event.detail.requestConfig) || {};
    var source = config.elt;
    var trigger = config.triggeringEvent;
    var byPerson = !!(trigger && /^(submit|click|change|input|keydown|keyup)$/.test(trigger.type));
    hadFocus = byPerson || !!(active && active !== document.body &&
      ((target && target.contains(active)) || (source && source.contains && source.contains(active))));
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || !target.isConnected) {
      var id = event.detail && event.detail.target && event.detail.target.id;
      target = id ? document.getElementById(id) : null;
    }
    if (!target) return;
    scrollRegions(target.parentElement || target);
    var said = summary(target);
    if (said) announce(said);
    var moveFocus = hadFocus;
    hadFocus = false;
    if (!moveFocus) { fromPager = false; return; }
    var invalid = target.querySelector("[aria-invalid='true'], label.invalid input, label.invalid select, label.invalid textarea");
    var alert = target.querySelector("[role='alert'], .error-box");
    if (invalid) {
      invalid.focus();
    } else if (alert) {
      focusable(alert);
    } else if (fromPager) {
      var first = target.querySelector("tbody tr, li, article");
      focusable(first || target);
    } else if (document.activeElement === document.body || !document.activeElement) {
      var heading = target.querySelector("h1, h2, h3");
      focusable(heading || target);
    }
    fromPager = false;
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) {
      event.preventDefault();
      window.print();
    }
  });

  function ready() {
    scrollRegions(document);
    document.querySelectorAll("[data-print][hidden]").forEach(function (button) {
      button.hidden = false;
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
