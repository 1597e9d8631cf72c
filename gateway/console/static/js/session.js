// Who is signed in: the accounts login (POST /v1/auth:login) when the gateway has it, else the
// gateway's development authenticator, where every request acts as one configured caller and the
// console only chooses which pages to show.
import { ApiError, anonymous, api, readSession, tokensOf, writeSession } from "./api.js";

export { readSession };

/** "login" when the gateway offers the accounts login, "dev" when it has no such route. */
export async function loginMode() {
  try {
    await anonymous("GET", "/v1/auth/me");
    return "login";
  } catch (error) {
    if (error instanceof ApiError && error.httpStatus === 404) return "dev";
    if (error instanceof ApiError && error.offline) return readSession()?.mode || "login";
    return "login";
  }
}

export async function logIn(username, password) {
  const answer = await anonymous("POST", "/v1/auth:login", { body: { username, password } });
  const session = { mode: "login", ...tokensOf(answer), account: answer.account };
  writeSession(session);
  return session;
}

/** Development only: the pages of `role` for `scope`; the gateway still decides what is allowed. */
export function actAs(role, scope) {
  const scopeLevel = !scope ? "city" : scope.startsWith("workers/") ? "caseload"
    : scope.split("/").length > 2 ? "village" : "town";
  const session = {
    mode: "dev",
    account: { name: "users/dev", username: "dev", displayName: role, role, scopeLevel, scope },
  };
  writeSession(session);
  return session;
}

export async function logOut() {
  const session = readSession();
  writeSession(null);
  localStorage.removeItem("sgz.worker");
  if (session && session.mode === "login" && session.refreshToken) {
    try { await anonymous("POST", "/v1/auth:logout", { body: { refreshToken: session.refreshToken } }); } catch (_e) { /* the session is gone here anyway */ }
  }
}

export function account() {
  return readSession()?.account || null;
}

/** The worker (`workers/{w}`) of a caseload-scoped account. */
export function workerName() {
  const a = account();
  return a && a.scope && a.scope.startsWith("workers/") ? a.scope : "";
}

/** The town (`towns/{t}`) a town- or village-scoped account works in; "" for the city. */
export function scopeTown() {
  const a = account();
  if (!a || !a.scope || !a.scope.startsWith("towns/")) return "";
  return a.scope.split("/").slice(0, 2).join("/");
}

/** The worker's own record (name, town), kept for offline use. */
export async function workerRecord() {
  const name = workerName();
  if (!name) return null;
  const kept = JSON.parse(localStorage.getItem("sgz.worker") || "null");
  if (kept && kept.name === name && kept.town) return kept;
  let worker;
  try {
    worker = await api("GET", `/v1/${name}`);
  } catch (error) {
    if (error instanceof ApiError && error.offline) throw error;
    // HR may not show a worker their own record: find the town whose week lists them.
    worker = { name, displayName: account().displayName, town: await townOfCaseload(name) };
  }
  localStorage.setItem("sgz.worker", JSON.stringify(worker));
  return worker;
}

/** The town of the worker's caseload: the one whose week lists them, else the one they gave. */
async function townOfCaseload(worker) {
  const { isoWeek } = await import("./time.js");
  const towns = (await api("GET", "/v1/towns", { query: { pageSize: 1000 } })).towns || [];
  for (const town of towns) {
    try {
      const due = await api("GET", `/v1/${town.name}/weeklyDue`, { query: { worker, week: isoWeek() } });
      if ((due.due || []).length) return town.name;
    } catch (_e) { /* not this town */ }
  }
  const given = localStorage.getItem("sgz.town") || "";
  if (given) return given;
  throw new TownUnknown(worker);
}

/** Neither HR nor the roster told the worker's town: the page asks for it once. */
export class TownUnknown extends Error {}

/** The town the pages are about: the account's own, the worker's, or the one chosen (city). */
export async function currentTown() {
  const own = scopeTown();
  if (own) return own;
  const worker = await workerRecord().catch(() => null);
  if (worker && worker.town) return worker.town;
  return localStorage.getItem("sgz.town") || "";
}

export function chooseTown(town) {
  localStorage.setItem("sgz.town", town);
}
