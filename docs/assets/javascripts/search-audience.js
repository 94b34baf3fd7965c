// Search serves the reader's audience: on a family page, family pages come first in the search results; on a
// clinician page, clinician pages. The order within each group is the search engine's own. No network, no
// dependency: it only moves the result items Material's search has already drawn.
(function () {
  var list = document.querySelector(".md-search-result__list")
  var config = document.getElementById("__config")
  if (!list || !config) return
  var root = new URL(JSON.parse(config.textContent).base + "/", location.href).pathname
  var audience = function (href) {
    var path = new URL(href, location.href).pathname
    return path.indexOf(root) === 0 ? path.slice(root.length).split("/")[0] : ""
  }
  var here = audience(location.href)
  if (here !== "families" && here !== "clinicians") return
  var rank = function (item) {
    var link = item.querySelector("a[href]")
    return link && audience(link.href) === here ? 0 : 1
  }
  new MutationObserver(function () {
    var items = Array.prototype.slice.call(list.children)
    var ranks = items.map(rank)
    for (var i = 1; i < ranks.length; i++) {
      if (ranks[i] < ranks[i - 1]) {
        items.filter(function (_, j) { return ranks[j] === 1 }).forEach(function (item) { list.appendChild(item) })
        return
      }
    }
  }).observe(list, { childList: true })
})()
