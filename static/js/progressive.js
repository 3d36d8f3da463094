/* First results first (issue 16; articles/progressive.py says why and how).
 *
 * 1. On every page: set the cookie that tells the server this browser runs this script, so a new
 *    query's results page may be sent as soon as its first page is ranked.
 * 2. On such a page (#result-count has data-counts-url): fetch the exact count, facets and pages from
 *    the same address as JSON and put them in. Text goes in with textContent, never as HTML; links are
 *    the server's own ("?..." on this page), checked before use. If the fetch fails, say so and link
 *    the page with its counts rendered by the server: never leave "more than N" looking final.
 * No build step, no framework; the Content-Security-Policy allows scripts from this site only.
 */
(function () {
  "use strict";

  var secure = window.location.protocol === "https:" ? "; Secure" : "";
  document.cookie = "kz_js=1; path=/; max-age=31536000; SameSite=Lax" + secure;

  var count = document.getElementById("result-count");
  if (!count || !count.dataset.countsUrl) {
    return;
  }

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    Object.keys(attrs || {}).forEach(function (name) {
      node.setAttribute(name, attrs[name]);
    });
    return node;
  }

  function localUrl(url) {
    // The server builds "?query" links to this page; anything else is not followed.
    return typeof url === "string" && url.charAt(0) === "?" ? url : null;
  }

  function link(text, url, attrs) {
    var safe = localUrl(url);
    if (safe === null) {
      return el("span", text);
    }
    var a = el("a", text, attrs);
    a.setAttribute("href", safe);
    return a;
  }

  function plural(n) {
    return n === 1 ? "" : "s";
  }

  function fillCount(data) {
    var span = count.querySelector(".count-n");
    span.textContent = "";
    if (!data.count_exact) {
      span.appendChild(document.createTextNode("at least "));
    }
    span.appendChild(el("strong", data.count));
    span.appendChild(document.createTextNode(" article" + plural(data.count)));
    var summary = document.getElementById("export-summary");
    if (summary) {
      summary.textContent = "Export all " + data.count + " result" + plural(data.count);
    }
  }

  function fillNotices(data) {
    var text = [data.message, data.unavailable].filter(Boolean);
    var shown = Array.prototype.map.call(document.querySelectorAll(".results .notice"), function (p) {
      return p.textContent;
    });
    text.forEach(function (message) {
      if (shown.indexOf(message) === -1) {
        count.parentNode.insertBefore(el("p", message, { class: "notice", role: "status" }), count);
      }
    });
  }

  function fillFacets(data) {
    var aside = document.getElementById("facets");
    var pending = document.getElementById("facets-pending");
    if (pending) {
      pending.remove();
    }
    if (!aside) {
      return;
    }
    data.facets.forEach(function (facet) {
      var section = el("section", null, { class: "facet", "data-facet": facet.name });
      section.appendChild(el("h2", facet.title));
      var list = el("ul");
      facet.values.forEach(function (value) {
        var attrs = value.selected
          ? {
              class: "selected",
              "aria-current": "true",
              "aria-label": value.label + " (selected; remove this filter)",
            }
          : {};
        var item = el("li");
        item.appendChild(link(value.label, value.url, attrs));
        item.appendChild(document.createTextNode(" "));
        item.appendChild(el("span", value.count, { class: "n" }));
        list.appendChild(item);
      });
      section.appendChild(list);
      aside.appendChild(section);
    });
  }

  function fillPages(data) {
    var nav = document.getElementById("pagination");
    var p = data.pagination;
    if (p.num_pages <= 1) {
      if (nav) {
        nav.remove();
      }
      return;
    }
    if (!nav) {
      nav = el("nav", null, { class: "pagination", id: "pagination", "aria-label": "Pages" });
      var hits = document.querySelector(".results .hits");
      hits.parentNode.insertBefore(nav, hits.nextSibling);
    }
    nav.textContent = "";
    if (p.previous) {
      nav.appendChild(link("← Previous", p.previous, { rel: "prev" }));
    }
    p.pages.forEach(function (page) {
      nav.appendChild(
        page.n === p.page ? el("strong", page.n, { "aria-current": "page" }) : link(page.n, page.url)
      );
    });
    if (p.next) {
      nav.appendChild(link("Next →", p.next, { rel: "next" }));
    }
    nav.appendChild(el("span", "page " + p.page + " of " + p.num_pages, { class: "of" }));
  }

  function failed() {
    count.removeAttribute("aria-busy");
    count.dataset.counts = "failed";
    var notice = el("p", "The exact count and the facets could not be loaded. ", { class: "notice", role: "alert" });
    var exact = count.dataset.exactUrl;
    if (exact && exact.charAt(0) === "/") {
      var a = el("a", "Show this page with them");
      a.setAttribute("href", exact);
      notice.appendChild(a);
    }
    count.parentNode.insertBefore(notice, count.nextSibling);
  }

  fetch(count.dataset.countsUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    })
    .then(function (data) {
      fillCount(data);
      fillNotices(data);
      fillFacets(data);
      fillPages(data);
      count.removeAttribute("aria-busy");
      count.dataset.counts = "exact";
    })
    .catch(failed);
})();
