// Thai admin: the date picker's caption counts years in the Buddhist era (CE + 543),
// like every date the admin prints (onespace/admin_dates.py). The picked value itself
// stays an ISO date in the input. Loaded with defer, after Django's calendar.js.
"use strict";
(function () {
  if (document.documentElement.lang !== "th" || !window.CalendarNamespace) {
    return;
  }
  const calendar = window.CalendarNamespace;
  const draw = calendar.draw;
  calendar.draw = function (month, year, divId, callback, selected) {
    draw.call(calendar, month, year, divId, callback, selected);
    const caption = document.querySelector("#" + divId + " caption");
    if (caption) {
      caption.textContent =
        calendar.monthsOfYear[parseInt(month, 10) - 1] + " " + (parseInt(year, 10) + 543);
    }
  };
})();
