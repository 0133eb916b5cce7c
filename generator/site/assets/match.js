/* bangfu matching: the one rule the finder (scope overview) and the household table both search with.
   A query is split into words at spaces; a household matches when every word does. A word shaped like an ID
   number (18 characters, or the list's masked form 4601**********123X) matches on the first and last four
   characters, the only ones lists hold; any other word is looked for, as typed, in the household's text:
   职工编号, name, masked ID, region names (county and city), category, status and the other cells shown. */
window.bangfuMatch = (function () {
  "use strict";
  var ID = /^(\d{4})(?:\d{10}|\*+)(\d{3}[\dx])$/i;

  function words(query) {
    return query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  }

  /* first and last four characters of an ID number as lists show it (clear or masked); "" if none */
  function idParts(shown) {
    var m = ID.exec(shown || "");
    return m ? (m[1] + m[2]).toUpperCase() : "";
  }

  /* the lower-cased text a household is searched in, from the pieces given */
  function text(pieces) {
    return pieces.filter(Boolean).join(" ").toLowerCase();
  }

  function test(hay, parts, list) {
    for (var i = 0; i < list.length; i++) {
      var id = ID.exec(list[i]);
      if (id) {
        if (!parts || parts !== (id[1] + id[2]).toUpperCase()) return false;
      } else if (hay.indexOf(list[i]) < 0) {
        return false;
      }
    }
    return true;
  }

  return { words: words, idParts: idParts, text: text, test: test };
})();
