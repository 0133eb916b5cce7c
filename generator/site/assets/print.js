// Print links: any element with data-bangfu-print prints the page; with a value, only the section of that id.
// A script file, not javascript: links or inline code, because the site's content security policy allows neither.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("[data-bangfu-print]") : null;
    if (!link) {
      return;
    }
    event.preventDefault();
    var id = link.getAttribute("data-bangfu-print");
    var only = id ? document.getElementById(id) : null;
    if (only) {
      document.body.classList.add("bf-printing-one");
      only.classList.add("bf-print-this");
    }
    try {
      window.print();
    } finally {
      if (only) {
        only.classList.remove("bf-print-this");
        document.body.classList.remove("bf-printing-one");
      }
    }
  });
})();
