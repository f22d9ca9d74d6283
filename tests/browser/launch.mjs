// Debian's headless Chromium as every browser test starts it: WebGL by SwiftShader (the map
// draws without a GPU), nothing fetched in the background.
import { chromium } from 'playwright-core';

/** The browser, launched. */
export const launch = () => chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--enable-unsafe-swiftshader', '--use-angle=swiftshader', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
