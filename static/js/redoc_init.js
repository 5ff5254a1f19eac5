// Starts Redoc on the API reference page (templates/drf_spectacular/redoc.html) under
// the portal's Content-Security-Policy.
(function () {
  // Redoc's sidebar shows Redocly's logo from their CDN. The portal loads nothing
  // from outside (a visitor's address is nobody else's business), so that one image
  // becomes an empty one; the "API docs by Redocly" link stays.
  var outside = "https://cdn.redoc.ly/";
  var empty = "data:image/gif;base64,R0lGODlhAQABAAAAACw=";
  var src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    configurable: true,
    enumerable: src.enumerable,
    get: src.get,
    set: function (value) {
      src.set.call(this, String(value).indexOf(outside) === 0 ? empty : value);
    },
  });

  var container = document.getElementById("redoc-container");
  Redoc.init(
    container.dataset.specUrl,
    {
      // The <style> elements Redoc writes carry this response's nonce. It comes
      // from a data attribute: browsers hide a nonce attribute from scripts.
      nonce: container.dataset.nonce,
      // Search runs in a worker made from a blob: URL, which the CSP refuses; the
      // page lists only a handful of operations.
      disableSearch: true,
    },
    container
  );
})();
