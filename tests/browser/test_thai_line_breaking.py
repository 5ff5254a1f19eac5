"""No Thai word is broken in the middle ("บริ|ษัทฯ") on any page, at 360 and 1280 px.

The browser breaks Thai lines between words by its dictionary (ICU); a page breaks a
word only if its CSS tells it to (``word-break: break-all``, ``overflow-wrap:
anywhere``) or a word does not fit its box. In the page, each Thai text node is cut
into words with ``Intl.Segmenter('th', {granularity: 'word'})`` (the same dictionary);
a word whose Range has client rects on two different lines is broken.
"""

import pytest

from tests.browser.test_every_page import (
    ANONYMOUS_PAGES,
    WIDTHS,
    _customer_pages,
    _seed_customer,
    _sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BROKEN_WORDS = """() => {
  const words = new Intl.Segmenter("th", { granularity: "word" });
  const thai = /[\\u0E00-\\u0E7F]/;
  const broken = [];
  // Text for screen readers only (.visually-hidden: a 1 px clipped box) is not laid out
  // for reading: each letter sits on its own line.
  const unseen = (element) => {
    for (let e = element; e; e = e.parentElement) {
      const box = e.getBoundingClientRect();
      if ((box.width <= 1 || box.height <= 1) && getComputedStyle(e).overflow !== "visible") {
        return true;
      }
    }
    return false;
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!thai.test(node.data) || !parent
        || parent.closest("script, style, template, noscript, option") || unseen(parent)) {
      continue;
    }
    for (const word of words.segment(node.data)) {
      if (!word.isWordLike || !thai.test(word.segment)) {
        continue;
      }
      const range = document.createRange();
      range.setStart(node, word.index);
      range.setEnd(node, word.index + word.segment.length);
      const rects = [...range.getClientRects()].filter(r => r.width > 0 && r.height > 0);
      if (rects.length < 2) {
        continue;
      }
      const tops = rects.map(r => r.top);
      const line = Math.min(...rects.map(r => r.height));
      if (Math.max(...tops) - Math.min(...tops) > line / 2) {
        broken.push(word.segment + " in «" + node.data.trim().slice(0, 80) + "»");
      }
    }
  }
  return broken;
}"""


def broken_words(page) -> list[str]:
    return page.evaluate(BROKEN_WORDS)


def _context(browser, live_server, width_name, **options):
    width, height = WIDTHS[width_name]
    context = browser.new_context(
        locale="th-TH",
        base_url=live_server.url,
        viewport={"width": width, "height": height},
        **options,
    )
    context.add_cookies(
        [{"name": "onespace_language", "value": "th", "url": live_server.url}]
    )
    return context


@pytest.mark.parametrize("width_name", WIDTHS)
def test_no_thai_word_is_broken_across_lines(browser, live_server, width_name):
    customer, ticket = _seed_customer()
    problems: list[str] = []
    checked = 0

    visitor = _context(browser, live_server, width_name)
    page = visitor.new_page()
    for url in ANONYMOUS_PAGES:
        page.goto(url)
        page.wait_for_load_state("load")
        checked += 1
        problems += [f"{url} [{width_name}]: {word}" for word in broken_words(page)]
    visitor.close()

    context = _context(browser, live_server, width_name)
    _sign_in(context, live_server, customer)
    page = context.new_page()
    for url in _customer_pages(customer, ticket):
        page.goto(url)
        page.wait_for_load_state("load")
        checked += 1
        problems += [f"{url} [{width_name}]: {word}" for word in broken_words(page)]
    context.close()
    assert problems == [], "\n".join(problems)
    assert checked > 25


def test_the_check_finds_words_broken_by_break_all(browser, live_server):
    """``word-break: break-all`` on body breaks Thai words at the box's edge: the check
    sees them (CSP bypassed only to inject the rule)."""
    _seed_customer()
    context = _context(browser, live_server, "phone", bypass_csp=True)
    page = context.new_page()
    page.goto("/privacy/")
    page.wait_for_load_state("load")
    assert broken_words(page) == []
    page.add_style_tag(content="body { word-break: break-all; }")
    assert len(broken_words(page)) > 5
    context.close()
