/* Gradient Flow: a keyboard reader can reach every block that scrolls sideways (code, outputs,
 * tables), without the page being laid out whole at load.
 *
 * pydata-sphinx-theme 0.17 gives such blocks a tab stop on the window's load event: it reads
 * the scrollWidth of every code block, output and table of the page, which lays out the whole
 * page, the blocks far below the window included (book/site/gflow.css lets the browser skip
 * those: content-visibility), a long task of 650 ms on a phone in Lighthouse's simulation.
 * tools/sphinx_lean.py takes that pass out of the theme's script and gives, at build time, a
 * tab stop to every block that can scroll on a screen 320 pixels wide or wider (a code block
 * with a long line, a table). Here each block is measured as the theme did, but only when it
 * comes into the window (an IntersectionObserver: the browser has laid it out by then), so
 * that a block that does not scroll on this screen loses its tab stop and one that scrolls
 * gets it; after a resize, the blocks in the window are measured again and the others go back
 * to their build-time tab stop. Blocks added later (widgets) are watched as they come.
 * SELECTORS is the theme's list; tools/sphinx_lean.py fails the build if the theme's changes.
 */
(function () {
  "use strict";
  var SELECTORS = ["pre", ".nboutput > .output_area", ".cell_output > .output",
                   ".jp-RenderedHTMLCommon", ".pst-scrollable-table-container"];
  if (!("IntersectionObserver" in window)) {
    return; // the build-time tab stops stay
  }
  var selector = SELECTORS.join(", ");
  var watched = [];
  var built = new WeakMap(); // each block's tabindex attribute as built (null: none)
  var inView = new Set();

  function measure(block) {
    block.tabIndex = block.scrollWidth > block.clientWidth
      || block.scrollHeight > block.clientHeight ? 0 : -1;
  }
  var observer = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (entry.isIntersecting) {
        inView.add(entry.target);
        measure(entry.target);
      } else {
        inView.delete(entry.target);
      }
    });
  });
  function watch() {
    var main = document.getElementById("main-content") || document.body;
    main.querySelectorAll(selector).forEach(function (block) {
      if (built.has(block)) {
        return;
      }
      built.set(block, block.getAttribute("tabindex"));
      watched.push(block);
      observer.observe(block);
    });
  }
  function later(callback) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(callback, 300);
    };
  }
  function resized() {
    watched.forEach(function (block) {
      if (inView.has(block)) {
        measure(block);
      } else if (built.get(block) === null) {
        block.removeAttribute("tabindex");
      } else {
        block.setAttribute("tabindex", built.get(block));
      }
    });
  }
  function setup() {
    watch();
    window.addEventListener("resize", later(resized));
    var main = document.getElementById("main-content");
    if (main) {
      new MutationObserver(later(watch)).observe(main, {subtree: true, childList: true});
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
