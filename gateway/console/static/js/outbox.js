// Visits recorded on the phone wait here (IndexedDB) until they are sent. Each carries the request
// id made when it was saved, so sending it twice (a retry, two tabs, a lost answer) records it
// once (AIP-155 on CreateVisit). Sent when the connection returns, when the app starts, and on
// demand.
import { ApiError, callWithBody } from "./api.js";

const DB = "sgz-console";
const STORE = "outbox";
const SENT_KEY = "sgz.sent";

/** A request id made once per visit: 32 random hex digits (works without a secure context). */
export function newRequestId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return "console-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "requestId" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function withStore(mode, work) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const result = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      tx.onerror = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/** Keeps a visit to send: {requestId, visit, personLabel}. Durable before this resolves. */
export function keep(item) {
  return withStore("readwrite", (store) => store.put({ state: "waiting", error: "", attempts: 0, savedAt: new Date().toISOString(), ...item }));
}

export async function waiting() {
  const items = (await withStore("readonly", (store) => store.getAll())) || [];
  return items.sort((a, b) => String(a.savedAt).localeCompare(String(b.savedAt)));
}

export function discard(requestId) {
  return withStore("readwrite", (store) => store.delete(requestId));
}

function put(item) {
  return withStore("readwrite", (store) => store.put(item));
}

/** Visits sent from this phone lately: [{requestId, visit, personLabel, sentAt}]. */
export function sent() {
  try { return JSON.parse(localStorage.getItem(SENT_KEY) || "[]"); } catch (_e) { return []; }
}

function remember(item, visit) {
  const list = [{ requestId: item.requestId, visit: visit.name, escalations: visit.escalations || [], personLabel: item.personLabel, sentAt: new Date().toISOString() }, ...sent()];
  localStorage.setItem(SENT_KEY, JSON.stringify(list.slice(0, 30)));
}

/** Sends one visit with its request id; the recorded visit, or throws ApiError. */
export function sendVisit(item) {
  // As the annotation says: the whole request as the body, or the visit with the id in the query.
  return callWithBody("VisitService_CreateVisit", "POST", "/v1/visits", "visit", item.visit, { requestId: item.requestId });
}

let flushing = null;

/** Sends every waiting visit, oldest first; stops at the first network failure. */
export function flush() {
  if (!flushing) {
    const run = async () => {
      let sentCount = 0;
      for (const item of await waiting()) {
        if (item.state !== "waiting") continue;
        try {
          const visit = await sendVisit(item);
          remember(item, visit);
          await discard(item.requestId);
          sentCount += 1;
        } catch (error) {
          if (!(error instanceof ApiError) || error.offline || error.httpStatus === 401 || error.httpStatus >= 500) break;
          await put({ ...item, state: "refused", error: error.describe(), attempts: item.attempts + 1 });
        }
      }
      return sentCount;
    };
    const locked = navigator.locks ? navigator.locks.request("sgz-outbox", run) : run();
    flushing = locked.finally(() => {
      flushing = null;
      window.dispatchEvent(new CustomEvent("sgz:outbox"));
    });
  }
  return flushing;
}
