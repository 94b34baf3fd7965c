// Search serves the reader's audience: on a family page, family pages come first in the search results; on a
// clinician page, clinician pages. Within each audience, pages of made-up (synthetic) example studies come after
// pages of real evidence, and each of their results says so before its title ("Made-up example: ..."). Which
// pages are made up, and the words of the mark in the page's language, come from the generator: the script
// reference/made-up-pages.js of each site (window.evidenceMadeUpPages, loaded before this one) and the hidden
// element #made-up-pages on every generated page (templates/_partials/made_up_pages.md.j2). The order within
// each group is the search engine's own. No network, no dependency: it only moves and marks the result items
// Material's search has already drawn.
(function () {
  var list = document.querySelector(".md-search-result__list")
  var config = document.getElementById("__config")
  if (!list || !config) return
  var root = new URL(JSON.parse(config.textContent).base + "/", location.href).pathname
  var relative = function (href) {
    var path = new URL(href, location.href).pathname
    return path.indexOf(root) === 0 ? path.slice(root.length) : ""
  }
  var audience = function (href) { return relative(href).split("/")[0] }
  var here = audience(location.href)
  if (here !== "families" && here !== "clinicians") return
  var made = document.getElementById("made-up-pages")
  var prefixes = (window.evidenceMadeUpPages || []).filter(Boolean)
  var mark = made ? made.getAttribute("data-mark") || "" : ""
  var madeUp = function (href) {
    var path = relative(href)
    return prefixes.some(function (p) { return path.indexOf(p) === 0 })
  }
  var rank = function (item) {
    var link = item.querySelector("a[href]")
    if (!link) return 3
    return (audience(link.href) === here ? 0 : 2) + (madeUp(link.href) ? 1 : 0)
  }
  var label = function (item) {
    Array.prototype.forEach.call(item.querySelectorAll("a[href]"), function (link) {
      var title = link.querySelector("h1, h2")
      if (!mark || !title || !madeUp(link.href) || title.querySelector(".made-up-mark")) return
      var span = document.createElement("span")
      span.className = "made-up-mark"
      span.textContent = mark + ": "
      title.insertBefore(span, title.firstChild)
    })
  }
  new MutationObserver(function () {
    var items = Array.prototype.slice.call(list.children)
    items.forEach(label)
    var ranks = items.map(rank)
    for (var i = 1; i < ranks.length; i++) {
      if (ranks[i] < ranks[i - 1]) {
        var order = items.map(function (item, j) { return j })
        order.sort(function (a, b) { return ranks[a] - ranks[b] || a - b })
        order.forEach(function (j) { list.appendChild(items[j]) })
        return
      }
    }
  }).observe(list, { childList: true })
})()
