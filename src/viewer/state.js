// What a page's parts share (the map, what is selected, the figures shown): one object a page,
// filled by the page's own script and handed to its panels. Nothing publishes it on `window`;
// the browser tests import this module to look at it.
export const state = {};
