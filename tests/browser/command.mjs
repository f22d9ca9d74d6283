// A duty commander at the desk opens an incident, declares the response, activates the plan
// onemap suggests and sees its measures as a checklist by module; acknowledges one order;
// drafts the cross-boundary notices and sends one.
// Prints one JSON line. Usage: node command.mjs <base-url> <incident-id> <screenshot.png> <stock item>
// (signs in as `commander`, password commander-Password1)
import { launch, signedInDesk } from './launch.mjs';

const [base, incident, screenshot] = process.argv.slice(2);
const fail = (message) => { console.error(`command test: ${message}`); process.exit(1); };
const result = {};

const browser = await launch();
try {
  const { context, page, errors } = await signedInDesk(browser, base, 'commander');
  await page.click('#workspaces [data-open="duty"]');
  await page.waitForSelector(`#duty-incidents li[data-id="${incident}"]`, { timeout: 15000 });
  await page.click(`#duty-incidents li[data-id="${incident}"]`);
  await page.waitForSelector('#duty-detail form.respond', { timeout: 15000 })
    .catch(async () => fail(`no response form: ${await page.textContent('#duty-detail')}`));
  await page.selectOption('#duty-detail form.respond select[name="level"]', 'III');
  await page.fill('#duty-detail form.respond input[name="why"]', '液氯泄漏，下风向有居民');
  await page.click('#duty-detail form.respond button');
  await page.waitForSelector('#duty-detail [data-activate]', { timeout: 15000 })
    .catch(async () => fail(`no plan to activate: ${await page.textContent('#duty-detail')}`));
  result.suggested = await page.$$eval('#duty-detail .suggested li', (items) => items.map((i) => i.textContent));
  result.cases = await page.$$eval('#duty-detail .cases li', (items) => items.map((i) => i.dataset.case));
  await page.click('#duty-detail [data-activate]');
  await page.waitForSelector('#duty-detail .checklist .order', { timeout: 15000 })
    .catch(async () => fail(`no checklist: ${await page.textContent('#duty-detail')}`));
  result.modules = await page.$$eval('#duty-detail .checklist .module b', (items) => items.map((i) => i.textContent));
  result.orders = await page.$$eval('#duty-detail .checklist .order', (items) => items.map((i) => i.textContent));
  result.level = await page.textContent('#duty-detail .response .popup-sub');
  await page.click('#duty-detail [data-ack]');
  await page.waitForFunction(() => document.querySelector('#duty-detail .order.acknowledged'), null, { timeout: 15000 })
    .catch(async () => fail(`the acknowledgement does not show: ${await page.textContent('#duty-detail')}`));
  result.acknowledged = await page.$$eval('#duty-detail .order.acknowledged', (items) => items.length);
  // The cross-boundary notices: drafted down the river, the first sent.
  await page.click('#duty-detail button.crossings');
  await page.waitForSelector('#duty-detail [data-send]', { timeout: 30000 })
    .catch(async () => fail(`no notice drafted: ${await page.textContent('#duty-detail')}`));
  result.drafts = await page.$$eval('#duty-detail [data-send]', (items) => items.length);
  await page.click('#duty-detail [data-send]');
  await page.waitForFunction((n) => document.querySelectorAll('#duty-detail [data-send]').length === n - 1, result.drafts, { timeout: 15000 })
    .catch(async () => fail(`the notice was not sent: ${await page.textContent('#duty-detail')}`));
  result.notices = await page.$$eval('#duty-detail .order', (items) => items.map((i) => i.textContent).filter((t) => t.includes('跨界通报')));
  await page.screenshot({ path: screenshot });
  // Ended: the review's figures show, and its timing starts from the discovery.
  await page.fill('#duty-detail form.end input[name="end"]', '泄漏源已控制，下风向监测连续达标');
  await page.click('#duty-detail form.end button');
  // Read (and scrolled to) in one step in the page, when there: a live update may draw the
  // detail anew at any moment.
  result.figures = await page.waitForFunction(() => {
    const review = document.querySelector('#duty-detail .review');
    const rows = [...document.querySelectorAll('#duty-detail .review table.figures tr')].map((r) => r.textContent);
    if (rows.length === 0) return null;
    review.scrollIntoView();
    return rows;
  }, null, { timeout: 15000 })
    .then((found) => found.jsonValue())
    .catch(async () => fail(`no review after the end: ${await page.textContent('#duty-detail')}`));
  await page.screenshot({ path: screenshot.replace(/\.png$/, '-review.png') });
  // A support request filed for 长寿 and approved in part by the city, from the incident's detail.
  await page.click('#duty-detail details.support-requests summary');
  await page.fill('#duty-detail form.file-support input[name="goods"]', process.argv[5]);
  await page.fill('#duty-detail form.file-support input[name="amount"]', '4');
  await page.fill('#duty-detail form.file-support input[name="district"]', '500115');
  await page.click('#duty-detail form.file-support button');
  await page.waitForSelector('#duty-detail form.decide', { timeout: 15000 })
    .catch(async () => fail(`no request to decide: ${await page.textContent('#duty-detail')}`));
  await page.fill('#duty-detail li.support [data-amount="0"]', '2');
  await page.fill('#duty-detail form.decide input[name="note"]', '先调拨一半');
  await page.click('#duty-detail form.decide button[type="submit"]');
  await page.waitForSelector('#duty-detail li.support.partly_approved', { timeout: 15000 })
    .catch(async () => fail(`not approved in part: ${await page.textContent('#duty-detail')}`));
  result.support = await page.textContent('#duty-detail li.support');
  // A drill scheduled from the plan's scenario and started: its incident is on the list, marked.
  await page.click('#drills button.schedule');
  await page.waitForSelector('#drills form.schedule-drill', { timeout: 15000 })
    .catch(async () => fail(`no drill form: ${await page.textContent('#drills')}`));
  result.scenarios = await page.$$eval('#drills form.schedule-drill option', (o) => o.map((x) => x.textContent));
  await page.selectOption('#drills form.schedule-drill select', { label: result.scenarios.find((o) => o.includes('液氯钢瓶泄漏')) });
  await page.fill('#drills form.schedule-drill input[name="participants"]', '企业现场处置组、区监测站');
  await page.click('#drills form.schedule-drill button');
  await page.waitForSelector('#drills [data-start]', { timeout: 15000 })
    .catch(async () => fail(`no drill scheduled: ${await page.textContent('#drills')}`));
  await page.click('#drills [data-start]');
  await page.waitForSelector('#drills li.drill-item.running', { timeout: 15000 })
    .catch(async () => fail(`the drill did not start: ${await page.textContent('#drills')}`));
  await page.waitForSelector('#duty-incidents .badge.drill', { timeout: 15000 })
    .catch(async () => fail(`the drill incident is not marked on the list: ${await page.textContent('#duty-incidents')}`));
  result.drill = await page.textContent('#drills li.drill-item.running');
  await page.$eval('#drills', (e) => e.scrollIntoView());
  await page.screenshot({ path: screenshot.replace(/\.png$/, '-drill.png') });
  // A station's alarm, confirmed on the desk (监测预警 · 确认).
  await page.$eval('#alarms', (e) => e.scrollIntoView());
  await page.waitForSelector('#alarm-list [data-act="acknowledge"]', { timeout: 15000 })
    .catch(async () => fail(`no alarm to confirm: ${await page.textContent('#alarm-list')}`));
  await page.click('#alarm-list [data-act="acknowledge"]');
  await page.waitForFunction(() => !document.querySelector('#alarm-list [data-act="acknowledge"]')
    && document.querySelector('#alarm-list li[data-alarm]')?.title.includes('commander'), null, { timeout: 15000 })
    .catch(async () => fail(`the alarm was not confirmed: ${await page.innerHTML('#alarm-list')}`));
  result.alarm = await page.getAttribute('#alarm-list li[data-alarm]', 'title');
  result.errors = errors;
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
}
