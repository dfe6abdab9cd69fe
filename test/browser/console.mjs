// Drives headless Chromium (Debian's) through the web console with Playwright:
//   node console.mjs URL PASSWORD SPKI SCREENSHOT_DIR
// SPKI: base64 SHA-256 of the console certificate's public key, the only one Chromium is told
// to accept without its CA. Prints what it saw as JSON; exits 1 on the first failed step.
import { chromium } from "playwright-core";

const [url, password, spki, shots] = process.argv.slice(2);
const seen = {};
const browser = await chromium.launch({
  executablePath: "/usr/lib/chromium/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--ignore-certificate-errors-spki-list=" + spki,
         // No name is ever resolved (the network rule): the console is on an IP address.
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE " + new URL(url).hostname,
         "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"],
});
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(15000);
  await page.goto(url);
  await page.waitForSelector("#password", { state: "visible" });

  await page.fill("#password", "not the password");
  await page.click("#login-form button");
  await page.waitForFunction(() => document.getElementById("login-error").textContent !== "");
  seen.wrong_password = await page.textContent("#login-error");
  await page.screenshot({ path: shots + "/1-wrong-password.png" });

  await page.fill("#password", password);
  await page.click("#login-form button");
  await page.waitForSelector("#app-view", { state: "visible" });
  // Live numbers: queries/s appears after the second refresh and moves while load runs.
  await page.waitForFunction(() => Number(
    document.getElementById("qps").textContent.replace(/[^0-9]/g, "")) > 0);
  seen.qps = await page.textContent("#qps");
  seen.queries_first = await page.textContent("#queries");
  await page.waitForFunction((first) =>
    document.getElementById("queries").textContent !== first, seen.queries_first);
  seen.queries_later = await page.textContent("#queries");
  await page.waitForFunction(() => document.getElementById("latency").textContent.includes("ms"));
  seen.latency = await page.textContent("#latency");
  seen.upstream_health = await page.textContent("#upstream-health");
  seen.rcodes = await page.textContent("#rcodes");
  seen.validation = await page.textContent("#validation");
  await page.screenshot({ path: shots + "/2-overview.png", fullPage: true });

  // Top names of the last hour, and the query log searched.
  await page.waitForFunction(() =>
    document.getElementById("top-names").textContent.includes("www.sec.lab."));
  seen.top_names = await page.textContent("#top-names");
  seen.top_clients = await page.textContent("#top-clients");
  await page.fill("#log-q", "www.sec");
  await page.selectOption("#log-rcode", "NOERROR");
  await page.click("#log-form button");
  // (The log's first search, at login, may answer after this one: wait for this one's rows.)
  await page.waitForFunction(() => {
    const rows = [...document.getElementById("log").rows].slice(1);
    return rows.length > 0 && rows.every((r) => r.textContent.includes("www.sec.lab."));
  });
  seen.log_rows = await page.$$eval("#log tr", (rows) => rows.map((r) => r.textContent));

  await page.fill("#lookup-name", "www.sec.lab.");
  await page.click("#lookup-form button[type=submit]");
  await page.waitForFunction(() => document.getElementById("cache-out").textContent !== "");
  seen.lookup = await page.textContent("#cache-out");
  await page.click("#flush");
  await page.waitForFunction(() =>
    document.getElementById("cache-out").textContent.includes("forgotten"));
  seen.flush = await page.textContent("#cache-out");
  seen.profiles = await page.textContent("#profiles");
  seen.cookie_visible_to_scripts = await page.evaluate(() => document.cookie);
  await page.screenshot({ path: shots + "/3-cache-and-profiles.png", fullPage: true });

  // Block a name with one click; the Python side then asks for it over DNS.
  await page.fill("#names-name", "blocked-by-browser.wild.sec.lab.");
  await page.click("#block");
  await page.waitForFunction(() =>
    document.getElementById("blocked-names").textContent.includes("blocked-by-browser"));
  seen.blocked_names = await page.textContent("#blocked-names");
  await page.screenshot({ path: shots + "/4-blocked.png", fullPage: true });

  await page.click("#logout");
  await page.waitForSelector("#login-view", { state: "visible" });
  seen.logged_out = true;
  console.log(JSON.stringify(seen));
} catch (e) {
  console.log(JSON.stringify(seen));
  console.error(String(e));
  process.exitCode = 1;
} finally {
  await browser.close();
}
