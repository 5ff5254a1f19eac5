// Thai admin: the date picker counts years in the Buddhist era (CE + 543), like every
// date the admin prints (onespace/admin_dates.py). Its caption shows the BE year, a
// picked day (or "today") is written as 25/11/2569, and a BE date typed in the input
// opens the calendar at its month; the form reads the BE year back
// (admin_dates.BuddhistEraDateField). Loaded with defer, after Django's core.js and
// calendar.js, which define strftime/strptime and the calendar.
"use strict";
(function () {
  if (document.documentElement.lang !== "th" || !window.CalendarNamespace) {
    return;
  }
  const BE_OFFSET = 543;
  const calendar = window.CalendarNamespace;
  const draw = calendar.draw;
  calendar.draw = function (month, year, divId, callback, selected) {
    draw.call(calendar, month, year, divId, callback, selected);
    const caption = document.querySelector("#" + divId + " caption");
    if (caption) {
      caption.textContent =
        calendar.monthsOfYear[parseInt(month, 10) - 1] + " " + (parseInt(year, 10) + BE_OFFSET);
    }
  };

  // Django's admin writes and reads the input through these two (DateTimeShortcuts.js).
  const strftime = Date.prototype.strftime;
  Date.prototype.strftime = function (format) {
    const year = String(this.getFullYear() + BE_OFFSET);
    return strftime.call(this, format.split("%Y").join(year).split("%y").join(year.slice(2)));
  };
  const strptime = String.prototype.strptime;
  String.prototype.strptime = function (format) {
    // The year given as CE before parsing, so 29/02/2567 stays a leap day.
    const text = String(this).replace(/(^|\D)(2[4-7]\d\d)(?!\d)/, function (match, before, year) {
      return before + (parseInt(year, 10) - BE_OFFSET);
    });
    return strptime.call(text, format);
  };
})();
