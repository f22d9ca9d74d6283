// Content-Security-Policy violations fail the browser tests: Chromium reports each one on the
// console ("Refused to … because it violates the following Content Security Policy directive").

/** Records each CSP violation on `page` in `into`, beside the page's errors. */
export function watchCsp(page, into) {
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) into.push(`CSP violation: ${message.text()}`);
  });
}
