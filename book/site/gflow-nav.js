/* Gradient Flow: the sidebar buttons that a reader sees, working.
 *
 * pydata-sphinx-theme 0.17 (under sphinx-book-theme 1.3) binds its sidebar handlers to the
 * FIRST ".primary-toggle" and ".secondary-toggle" of the page (document.querySelector): those
 * are the buttons of the top navbar, which sphinx-book-theme hides. The buttons a reader sees,
 * in the article's header (the hamburger and "Contents"), have no handler, so on a phone the
 * chapter list and the page's contents never open and on a desktop the hamburger does not
 * collapse the sidebar. A click on a visible toggle is passed on to the first one, whose
 * handlers (the theme's dialog on narrow screens; sphinx-book-theme's collapse, class
 * "pst-sidebar-hidden", on wide ones) then do their work.
 */
(function () {
  "use strict";
  function forward(selector) {
    var toggles = Array.prototype.slice.call(document.querySelectorAll(selector));
    var bound = toggles[0];
    toggles.slice(1).forEach(function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        event.stopPropagation();
        button.blur();
        bound.click();
      });
    });
  }
  function setup() {
    forward(".primary-toggle");
    forward(".secondary-toggle");
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
