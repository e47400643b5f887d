// A node of the mixed-runtime test in a Chromium page (dist/browser.js through the installed
// package): the test calls window.mixed.call(name, args), see mixed-driver.mjs.
import { driver } from '/mixed-driver.mjs';

window.mixed = driver();
window.mixedLoaded = true;
