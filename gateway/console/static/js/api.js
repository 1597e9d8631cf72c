// The public HTTP API, as any front-end would call it: ProtoJSON, a bearer token, the AIP-193
// error shape read into an ApiError with the reader's message, the rule and the field problems.
import { t } from "./i18n.js";

const SESSION_KEY = "sgz.session";
export const LANG = localStorage.getItem("sgz.lang") || "zh-CN";

export class ApiError extends Error {
  constructor({ httpStatus = 0, status = "", message = "", rule = "", violations = [], offline = false }) {
    super(message);
    this.httpStatus = httpStatus;
    this.status = status;
    this.rule = rule;
    this.violations = violations;
    this.offline = offline;
  }

  /** One sentence for a person: the localized message, the rule, the fields. */
  describe() {
    if (this.offline) return t("No connection: the server cannot be reached");
    const parts = [this.message];
    for (const v of this.violations) parts.push(`${v.field}: ${v.localizedMessage?.message || v.description}`);
    if (this.rule && !this.message.includes(this.rule)) parts.push(t("(rule {rule})", { rule: this.rule }));
    return parts.filter(Boolean).join(" ");
  }
}

export function readSession() {
  try { return JSON.parse(localStorage.getItem(SESSION_KEY) || "null"); } catch (_e) { return null; }
}

export function writeSession(session) {
  operations = null; // what the next role may call is asked afresh
  if (session) localStorage.setItem(SESSION_KEY, JSON.stringify(session));
  else localStorage.removeItem(SESSION_KEY);
}

function errorOf(httpStatus, body) {
  const error = (body && body.error) || {};
  let message = error.message || t("The server answered {code}", { code: httpStatus });
  let rule = "";
  const violations = [];
  for (const detail of error.details || []) {
    const type = String(detail["@type"] || "");
    if (type.endsWith("google.rpc.LocalizedMessage") && detail.message) message = detail.message;
    else if (type.endsWith("google.rpc.ErrorInfo") && detail.metadata && detail.metadata.rule) rule = detail.metadata.rule;
    else if (type.endsWith("google.rpc.BadRequest")) violations.push(...(detail.fieldViolations || []));
  }
  return new ApiError({ httpStatus, status: error.status || "", message, rule, violations });
}

function queryString(query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query || {})) {
    if (value === undefined || value === null || value === "") continue;
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

async function send(method, path, query, body, token) {
  const headers = { Accept: "application/json", "Accept-Language": LANG };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  let answer;
  try {
    answer = await fetch(path + queryString(query), {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store",
    });
  } catch (_network) {
    throw new ApiError({ offline: true, message: "offline" });
  }
  const text = await answer.text();
  let json = null;
  try { json = text ? JSON.parse(text) : {}; } catch (_e) { json = null; }
  if (!answer.ok) throw errorOf(answer.status, json);
  return json;
}

let refreshing = null;

async function refresh(session) {
  if (!refreshing) {
    refreshing = send("POST", "/v1/auth:refresh", null, { refreshToken: session.refreshToken })
      .then((fresh) => {
        const next = { ...session, ...tokensOf(fresh), account: fresh.account || session.account };
        writeSession(next);
        return next;
      })
      .finally(() => { refreshing = null; });
  }
  return refreshing;
}

export function tokensOf(answer) {
  return {
    accessToken: answer.accessToken,
    refreshToken: answer.refreshToken,
    expiresAt: Date.now() + 1000 * Number(answer.expiresIn || 0),
  };
}

/** Calls the API as the signed-in user; refreshes an expired access token once. */
export async function api(method, path, { query, body } = {}) {
  let session = readSession();
  if (session && session.mode === "login" && session.expiresAt && Date.now() > session.expiresAt - 30000) {
    try { session = await refresh(session); } catch (e) { if (!(e instanceof ApiError) || !e.offline) signedOut(); throw e; }
  }
  const token = session && session.mode === "login" ? session.accessToken : "";
  try {
    return await send(method, path, query, body, token);
  } catch (error) {
    if (error instanceof ApiError && error.httpStatus === 401 && session && session.mode === "login") {
      try { session = await refresh(session); } catch (_e) { signedOut(); throw error; }
      return send(method, path, query, body, session.accessToken);
    }
    throw error;
  }
}

/** Sends without the session (login, detection). */
export function anonymous(method, path, { query, body } = {}) {
  return send(method, path, query, body, "");
}

function signedOut() {
  writeSession(null);
  window.dispatchEvent(new CustomEvent("sgz:signedout"));
}

/** Every page of a List call: `key` is the repeated field; stops after `limit` items. */
export async function listAll(path, key, query = {}, limit = 5000) {
  const items = [];
  let pageToken = "";
  do {
    const answer = await api("GET", path, { query: { ...query, pageSize: 1000, pageToken } });
    items.push(...(answer[key] || []));
    pageToken = answer.nextPageToken || "";
  } while (pageToken && items.length < limit);
  return items;
}

let operations = null;
let listed = null;

async function operationList() {
  if (listed) return listed;
  try {
    listed = await anonymous("GET", "/console/operations.json");
    localStorage.setItem("sgz.operations", JSON.stringify(listed));
  } catch (_e) {
    return JSON.parse(localStorage.getItem("sgz.operations") || '{"operations": {}, "bodies": {}}');
  }
  return listed;
}

/**
 * The operations the gateway serves that the signed-in role may call (a Set of operationIds),
 * from /console/operations.json (the operationIds of /openapi.json with their roles).
 */
export async function availableOperations() {
  if (operations) return operations;
  const known = (await operationList()).operations || {};
  const role = readSession()?.account?.role;
  const allowed = new Set(Object.entries(known).filter(([, roles]) => !roles || roles.includes(role)).map(([op]) => op));
  if (Object.keys(known).length) operations = allowed;
  return allowed;
}

/**
 * Calls a create-like operation as its HTTP annotation wants: `message` in the body, either as
 * the body itself (`body: "field"`, `extra` then in the query) or as `field` of a whole-request
 * body (`body: "*"`, `extra` beside it).
 */
export async function callWithBody(operationId, method, path, field, message, extra = {}) {
  const body = ((await operationList()).bodies || {})[operationId];
  if (body === "*") return api(method, path, { body: { [field]: message, ...extra } });
  return api(method, path, { query: extra, body: message });
}
