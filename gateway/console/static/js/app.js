// The console's entry: sign-in, the pages each role is offered, a hash router, and sending the
// visits kept on the phone whenever the connection returns.
import { ApiError, availableOperations } from "./api.js";
import { h, page, toast } from "./dom.js";
import { loadMessages, t } from "./i18n.js";
import { ROLES, roleLabel } from "./labels.js";
import * as outbox from "./outbox.js";
import * as session from "./session.js";
import * as worker from "../pages/worker.js";
import * as town from "../pages/town.js";
import * as services from "../pages/services.js";

const TOWN_ROLES = ["station_chief", "town_head", "city_civil_affairs"];

/** [route, title, roles, render(arg), operationId the page needs or ""] */
const PAGES = () => [
  ["week", t("This week's visits"), ["station_worker"], () => worker.weekPage(), ""],
  ["my-escalations", t("My escalations"), ["station_worker"], () => worker.myEscalationsPage(), ""],
  ["dashboard", t("Dashboard"), TOWN_ROLES, () => town.dashboardPage(), ""],
  ["board", t("Escalation board"), [...TOWN_ROLES, "village_contact", "auditor"], () => town.boardPage(), ""],
  ["ledger", t("Work ledger"), [...TOWN_ROLES, "auditor"], () => town.ledgerPage(), ""],
  ["persons", t("Persons"), [...TOWN_ROLES, "auditor"], () => town.personsPage(), ""],
  ...services.PAGES(),
  ["outbox", t("Waiting to be sent"), ["station_worker", "station_chief", "town_head"], () => worker.outboxPage(), ""],
];

/** Pages reached by link only: [prefix, render(rest), roles]. */
const LINKED = [
  ["visit/", (rest) => worker.visitPage(rest), ["station_worker", "station_chief", "town_head"]],
  ["person/", (rest) => town.personPage(rest), null],
  ["escalation/", (rest) => worker.escalationPage(rest), null],
];

async function offered() {
  const account = session.account();
  if (!account) return [];
  const ops = await availableOperations();
  return PAGES().filter(([, , roles, , op]) => roles.includes(account.role) && (!op || ops.has(op)));
}

async function renderNav(current) {
  const nav = document.getElementById("nav");
  const account = session.account();
  document.getElementById("brand").textContent = t("Social work station");
  document.getElementById("skip").textContent = t("Skip to the page");
  nav.setAttribute("aria-label", t("Pages"));
  if (!account) { nav.replaceChildren(); document.getElementById("who").textContent = ""; return; }
  document.getElementById("who").textContent = `${account.displayName || account.username} · ${roleLabel(account.role)}`;
  const links = (await offered()).map(([route, title]) => h("a", { href: `#/${route}`, "aria-current": route === current ? "page" : false }, title));
  nav.replaceChildren(...links, h("button", { type: "button", id: "logout", onclick: async () => {
    const waiting = (await outbox.waiting()).length;
    if (waiting && !confirm(t("{n} visits are still waiting to be sent: they stay on this phone. Log out?", { n: waiting }))) return;
    await session.logOut();
    location.hash = "#/login";
  } }, t("Log out")));
}

async function loginPage() {
  const mode = await session.loginMode();
  await renderNav("login");
  const problem = h("div", { id: "login-problem" });
  if (mode === "dev") {
    const role = h("select", { id: "dev-role" }, ROLES().map(([value, text]) => h("option", { value }, text)));
    const scope = h("input", { type: "text", id: "dev-scope", placeholder: "workers/… / towns/…" });
    const form = h("form", { id: "dev-form" },
      h("p", { class: "notice", id: "dev-mode" }, t("Development mode: the gateway has no login and acts for every request as its one configured caller. Choose the pages to see.")),
      h("label", { for: "dev-role" }, t("Role")), role,
      h("label", { for: "dev-scope" }, t("Scope (workers/…, towns/… or empty for the city)")), scope,
      problem, h("p", {}, h("button", { type: "submit" }, t("Enter"))));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      session.actAs(role.value, scope.value.trim());
      location.hash = "#/";
    });
    page(t("Log in"), form);
    return;
  }
  const username = h("input", { type: "text", id: "username", name: "username", autocomplete: "username", required: true });
  const password = h("input", { type: "password", id: "password", name: "password", autocomplete: "current-password", required: true });
  const form = h("form", { id: "login-form" },
    h("label", { for: "username" }, t("User name")), username,
    h("label", { for: "password" }, t("Password")), password,
    problem, h("p", {}, h("button", { type: "submit", id: "login" }, t("Log in"))));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await session.logIn(username.value.trim(), password.value);
      location.hash = "#/";
    } catch (error) {
      problem.replaceChildren(h("div", { class: "error", role: "alert" }, error instanceof ApiError ? error.describe() : String(error)));
    }
  });
  page(t("Log in"), form);
}

/** Shows the page of the location's hash; `main[data-ready]` names it once it is drawn. */
async function route() {
  const main = document.getElementById("main");
  main.setAttribute("aria-busy", "true");
  main.dataset.ready = "";
  let drawn = true;
  try {
    drawn = await draw();
  } finally {
    main.removeAttribute("aria-busy");
    if (drawn !== false) main.dataset.ready = decodeURIComponent(location.hash.replace(/^#\/?/, "")).split("/")[0] || "home";
  }
}

async function draw() {
  const path = decodeURIComponent(location.hash.replace(/^#\/?/, ""));
  if (path === "login" || !session.account()) {
    if (path !== "login") { location.hash = "#/login"; return false; }
    await loginPage();
    return;
  }
  const pages = await offered();
  const account = session.account();
  const main = document.getElementById("main");
  try {
    const linked = LINKED.find(([prefix]) => path.startsWith(prefix));
    if (linked) {
      await renderNav("");
      if (linked[2] && !linked[2].includes(account.role)) throw new Error(t("This page is not offered to your role"));
      await linked[1](path.slice(linked[0].length));
    } else {
      const found = pages.find(([r]) => r === path);
      if (!found) {
        if (pages.length) { location.hash = `#/${pages[0][0]}`; return false; }
        await renderNav("");
        page(t("Nothing to show"), h("p", {}, t("No page of the console is offered to your role yet")));
        return;
      }
      await renderNav(found[0]);
      await found[3]();
    }
  } catch (error) {
    main.replaceChildren(h("h1", {}, t("Something went wrong")), h("div", { class: "error", role: "alert" }, error instanceof ApiError ? error.describe() : String(error.message || error)));
  }
  main.focus({ preventScroll: true });
}

async function showNetwork() {
  const count = (await outbox.waiting()).filter((i) => i.state === "waiting").length;
  const parts = [];
  if (!navigator.onLine) parts.push(t("Offline"));
  if (count) parts.push(t("{n} waiting to be sent", { n: count }));
  document.getElementById("net").textContent = parts.join(" · ");
}

async function sendWaiting() {
  if (!session.account()) return;
  const count = await outbox.flush().catch(() => 0);
  if (count) {
    toast(t("{n} visits sent", { n: count }));
    if (/^#\/(outbox|week)/.test(location.hash)) await route();
  }
  await showNetwork();
}

async function start() {
  // The console's own files kept on the phone, so it opens without a connection (not the API).
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
  await loadMessages();
  document.documentElement.lang = "zh-CN";
  window.addEventListener("hashchange", route);
  window.addEventListener("online", () => { showNetwork(); sendWaiting(); });
  window.addEventListener("offline", showNetwork);
  window.addEventListener("sgz:outbox", showNetwork);
  window.addEventListener("sgz:signedout", () => { location.hash = "#/login"; });
  setInterval(() => { if (navigator.onLine) sendWaiting(); }, 30000);
  await route();
  await sendWaiting();
}

start();
