// The chief's and town's pages: dashboard with charts, escalation board, work ledger with
// verification and export, persons and a person's overview (ID number masked).
import { ApiError, api, availableOperations, listAll } from "../js/api.js";
import { barChart } from "../js/charts.js";
import { h, page, tail } from "../js/dom.js";
import { t } from "../js/i18n.js";
import { checkItemLabel, label } from "../js/labels.js";
import { account, chooseTown, currentTown, scopeTown } from "../js/session.js";
import { cstDate, cstDaysAgo, isoWeek, showDate, showTime, weekBefore } from "../js/time.js";
import { yuan } from "./services.js";
import { escalationItem, stepForm } from "./worker.js";

/** The town the page is about; for the city, a picker of the towns first. */
async function townOrPicker(title, again) {
  const town = await currentTown();
  if (scopeTown() || account()?.scope?.startsWith("workers/")) return town;
  const towns = await listAll("/v1/towns", "towns");
  const select = h("select", { id: "town-picker", onchange: () => { chooseTown(select.value); again(); } },
    h("option", { value: "" }, t("Choose a town")),
    towns.map((x) => h("option", { value: x.name, selected: x.name === town }, x.displayName)));
  const picker = h("p", {}, h("label", { for: "town-picker" }, t("Town")), select);
  if (!town) { page(title, picker); return ""; }
  townOrPicker.picker = picker;
  return town;
}

function pickerOf(town) {
  return scopeTown() ? null : townOrPicker.picker;
}

async function villageMap(town) {
  const villages = await listAll(`/v1/${town}/villages`, "villages");
  return Object.fromEntries(villages.map((v) => [v.name, v.displayName]));
}

async function personNames(names) {
  const found = new Map();
  for (const name of [...new Set(names)].slice(0, 100)) {
    found.set(name, await api("GET", `/v1/${name}`).then((p) => p.displayName, () => tail(name)));
  }
  return found;
}

function card(id, title, value, tone = "") {
  return h("div", { class: "card", id }, h("div", { class: "muted" }, title), h("div", { class: `n ${tone}` }, value));
}

function currentHalf() {
  const d = cstDate();
  return `${d.year}H${d.month <= 6 ? 1 : 2}`;
}

/** The town dashboard: this week's visits, escalations past deadline, staffing, subsidy, charts. */
export async function dashboardPage() {
  const title = t("Town dashboard");
  const town = await townOrPicker(title, dashboardPage);
  if (!town) return;
  const ops = await availableOperations();
  const week = isoWeek();
  const [due, overdue, open, villages] = await Promise.all([
    api("GET", `/v1/${town}/weeklyDue`, { query: { week } }),
    listAll(`/v1/${town}/escalations`, "escalations", { view: "ESCALATION_VIEW_OVERDUE" }),
    listAll(`/v1/${town}/escalations`, "escalations", { view: "ESCALATION_VIEW_OPEN" }),
    villageMap(town),
  ]);
  const cards = [
    card("due", t("Due this week"), due.dueCount),
    card("visited", t("Visited"), due.visitedCount, "ok"),
    card("missing", t("Not yet visited"), due.notVisitedCount, due.notVisitedCount ? "warn" : "ok"),
    card("overdue", t("Escalations past deadline"), overdue.length, overdue.length ? "bad" : "ok"),
    card("open", t("Open escalations"), open.length),
  ];
  if (ops.has("HrService_GetTownStaffing")) {
    try {
      const staffing = await api("GET", `/v1/${town}/staffing`);
      cards.push(card("staffing", t("Staffing shortfall"), staffing.shortfall ?? 0, staffing.shortfall ? "bad" : "ok"));
    } catch (_e) { /* not offered to this role */ }
  }
  if (ops.has("HrService_GetRenewalReport")) {
    try {
      const soon = cstDate(new Date(Date.now() + 90 * 86400000));
      const report = await api("GET", `/v1/${town}/renewalReport`, { query: { "endingBefore.year": soon.year, "endingBefore.month": soon.month, "endingBefore.day": soon.day } });
      const ending = (report.rows || []).length;
      cards.push(card("contracts-ending", t("Contracts ending within 90 days"), ending, ending ? "warn" : "ok"));
    } catch (_e) { /* not offered to this role */ }
  }
  if (ops.has("HrService_ListTrainingHours")) {
    try {
      const short = (await api("GET", `/v1/${town}/trainingHours`, { query: { year: cstDate().year, shortOnly: true } })).trainingHours || [];
      cards.push(card("training-short", t("Workers short of training hours"), short.length, short.length ? "warn" : "ok"));
    } catch (_e) { /* not offered to this role */ }
  }
  if (ops.has("FinanceService_GetPeriod")) {
    try {
      const period = await api("GET", `/v1/${town}/periods/${currentHalf()}`);
      const fen = BigInt(period.townBalance?.fen || 0) + BigInt(period.stationBalance?.fen || 0);
      cards.push(card("balance", t("Subsidy balance"), yuan({ fen: String(fen) })));
    } catch (_e) { /* no period yet, or not offered to this role */ }
  }
  const charts = h("section", { id: "charts" });
  page(title, pickerOf(town), h("p", { class: "muted" }, t("Week {week}", { week })), h("div", { class: "cards" }, cards), charts);
  charts.append(...await dashboardCharts(town, villages));
}

async function dashboardCharts(town, villages) {
  const weeks = [3, 2, 1, 0].map((n) => weekBefore(n));
  const dues = await Promise.all(weeks.map((week) => api("GET", `/v1/${town}/weeklyDue`, { query: { week } }).catch(() => null)));
  const rows = [];
  for (const [village, name] of Object.entries(villages)) {
    weeks.forEach((week, i) => {
      const people = dues[i] ? dues[i].due.filter((p) => p.village === village) : [];
      if (!people.length) return;
      const visited = people.filter((p) => p.visited).length;
      rows.push({ label: `${name} ${week.slice(5)}`, value: Math.round((100 * visited) / people.length), text: `${visited}/${people.length}`, color: visited === people.length ? "#1a7f37" : "#0b5cad" });
    });
  }
  const parts = [h("h2", {}, t("Weekly coverage per village"))];
  parts.push(rows.length ? barChart(t("Persons visited as required, per village and week (%)"), rows, { scale: 100 }) : h("p", { class: "muted" }, t("No persons due")));
  const all = await listAll(`/v1/${town}/escalations`, "escalations", { view: "ESCALATION_VIEW_ALL" }, 200);
  const timed = all.filter((e) => e.contact && e.contact.contactTime).slice(-20);
  parts.push(h("h2", {}, t("Escalation response times against deadline")));
  parts.push(timed.length ? barChart(t("Hours from the visit to notifying the village contact; the red line is the deadline"),
    timed.map((e) => {
      const hours = (new Date(e.contact.contactTime) - new Date(e.visitTime)) / 3600000;
      const limit = (new Date(e.contactDeadline) - new Date(e.visitTime)) / 3600000;
      return { label: showTime(e.visitTime).slice(5), value: Math.round(hours * 10) / 10, marker: limit, color: hours > limit ? "#b42318" : "#1a7f37", text: t("{hours} h of {limit} h", { hours: Math.round(hours * 10) / 10, limit: Math.round(limit * 10) / 10 }) };
    })) : h("p", { class: "muted" }, t("No village contact has been notified yet")));
  const ops = await availableOperations();
  if (ops.has("FinanceService_ListPostings")) {
    try {
      const postings = (await api("GET", `/v1/${town}/periods/${currentHalf()}/postings`)).postings || [];
      const byCategory = new Map();
      for (const p of postings.filter((x) => x.kind === "POSTING_KIND_EXPENSE")) {
        byCategory.set(p.category, (byCategory.get(p.category) || 0n) + BigInt(p.amount?.fen || 0));
      }
      parts.push(h("h2", {}, t("Spending by category")));
      parts.push(byCategory.size ? barChart(t("Spending by category this period (yuan)"),
        [...byCategory].map(([category, fen]) => ({ label: label(category).slice(0, 10), value: Number(fen) / 100, text: yuan({ fen: String(fen) }) })))
        : h("p", { class: "muted" }, t("Nothing spent yet this period")));
    } catch (_e) { /* no period yet, or not offered to this role */ }
  }
  return parts;
}

const COLUMNS = () => [
  ["todo", t("To notify the village contact"), ["ESCALATION_STATE_OPENED"]],
  ["notified", t("Contact notified"), ["ESCALATION_STATE_CONTACT_NOTIFIED"]],
  ["arranged", t("Action arranged"), ["ESCALATION_STATE_ACTION_ARRANGED", "ESCALATION_STATE_ASSISTANCE_RECORDED"]],
  ["closed", t("Closed"), ["ESCALATION_STATE_RESOLVED", "ESCALATION_STATE_CANCELLED"]],
];

/** The escalation board: one column per step, most urgent deadline first. */
export async function boardPage(view = "ESCALATION_VIEW_OPEN") {
  const title = t("Escalation board");
  const town = await townOrPicker(title, () => boardPage(view));
  if (!town) return;
  // A village contact reads their village's escalations; the town reads the whole town.
  const scope = account()?.scope || "";
  const parent = scope.startsWith(`${town}/villages/`) ? scope : town;
  const escalations = await listAll(`/v1/${parent}/escalations`, "escalations", { view }, 500);
  const ops = await availableOperations();
  escalations.sort((a, b) => String(a.nextDeadline || "~").localeCompare(String(b.nextDeadline || "~")));
  const names = await personNames(escalations.map((e) => e.person));
  const views = [["ESCALATION_VIEW_OPEN", t("Open")], ["ESCALATION_VIEW_OVERDUE", t("Past deadline")], ["ESCALATION_VIEW_DUE_SOON", t("Due soon")], ["ESCALATION_VIEW_ALL", t("All")]];
  const select = h("select", { id: "board-view", onchange: () => boardPage(select.value) },
    views.map(([v, text]) => h("option", { value: v, selected: v === view }, text)));
  const columns = COLUMNS().map(([id, heading, states]) => {
    const here = escalations.filter((e) => states.includes(e.state));
    return h("section", { class: "column", id: `column-${id}`, "aria-label": heading },
      h("h2", {}, `${heading} (${here.length})`),
      h("ul", { class: "list" }, here.map((e) => {
        const item = escalationItem(e, names.get(e.person));
        item.append(h("div", {}, h("a", { href: `#/person/${e.person}` }, t("Person overview"))));
        const step = stepForm(e, ops, () => boardPage(view));
        if (step) item.append(step);
        return item;
      })));
  });
  page(title, pickerOf(town), h("p", {}, h("label", { for: "board-view" }, t("Show")), select),
    escalations.length ? null : h("p", { class: "muted" }, t("No escalations")), h("div", { class: "board" }, columns));
}

function summary(entry) {
  let payload = {};
  try { payload = JSON.parse(entry.payloadJson || "{}"); } catch (_e) { /* shown raw */ }
  const bits = [];
  if (payload.findings && payload.findings.length) bits.push(t("Findings: {items}", { items: payload.findings.map((f) => checkItemLabel(`CHECK_ITEM_${String(f).toUpperCase()}`)).join("、") }));
  if (payload.action) bits.push(label(`ESCALATION_ACTION_${String(payload.action).toUpperCase()}`));
  if (payload.contact_name) bits.push(t("Contact: {name}", { name: payload.contact_name }));
  if (payload.outcome) bits.push(String(payload.outcome));
  if (payload.reason) bits.push(String(payload.reason));
  if (entry.corrects) bits.push(t("Corrects entry {n}: {reason}", { n: tail(entry.corrects), reason: entry.correctionReason }));
  return bits.join("；");
}

function csv(rows) {
  const cell = (v) => `"${String(v ?? "").replace(/"/g, '""')}"`;
  return "\ufeff" + rows.map((r) => r.map(cell).join(",")).join("\r\n") + "\r\n";
}

/** The work ledger (V7): entries of a date range, the chain verified, a CSV export. */
export async function ledgerPage(from = cstDaysAgo(30), to = cstDaysAgo(0)) {
  const title = t("Work ledger");
  const town = await townOrPicker(title, () => ledgerPage(from, to));
  if (!town) return;
  const asDate = (text) => { const [year, month, day] = text.split("-").map(Number); return { year, month, day }; };
  const query = {};
  for (const [key, text] of [["startDate", from], ["endDate", to]]) {
    const d = asDate(text);
    query[`${key}.year`] = d.year; query[`${key}.month`] = d.month; query[`${key}.day`] = d.day;
  }
  const entries = await listAll(`/v1/${town}/ledgerEntries`, "ledgerEntries", query, 5000);
  const fromInput = h("input", { type: "date", id: "ledger-from", value: from });
  const toInput = h("input", { type: "date", id: "ledger-to", value: to });
  const result = h("div", { id: "verification", role: "status", "aria-live": "polite" });
  let verification = null;
  const verify = h("button", { type: "button", id: "verify-ledger", onclick: async () => {
    try {
      verification = await api("GET", `/v1/${town}:verifyLedger`);
      result.replaceChildren(verification.holds
        ? h("p", { class: "success" }, t("The ledger holds: {n} entries checked, head {seq}, hash {hash}", { n: verification.entriesChecked, seq: verification.headSequence, hash: String(verification.headHash).slice(0, 16) }))
        : h("p", { class: "error" }, t("The ledger is broken at {entry}: {problem}", { entry: verification.firstBrokenEntry, problem: verification.problem })));
    } catch (error) {
      result.replaceChildren(h("p", { class: "error", role: "alert" }, error instanceof ApiError ? error.describe() : String(error)));
    }
  } }, t("Verify the ledger"));
  const exportButton = h("button", { type: "button", class: "secondary", id: "export-ledger", onclick: () => {
    const rows = [[t("Sequence"), t("Kind"), t("Occurred"), t("Recorded"), t("Subject"), t("Recorded by"), t("Summary"), t("Content"), t("Hash")]];
    for (const e of entries) rows.push([e.sequence, label(e.kind), showTime(e.occurTime), showTime(e.createTime), e.subject, e.actor, summary(e), e.payloadJson, e.hash]);
    if (verification) rows.push([], [t("Head of the chain"), verification.headSequence, verification.headHash]);
    const link = h("a", { href: URL.createObjectURL(new Blob([csv(rows)], { type: "text/csv;charset=utf-8" })), download: `${tail(town)}-ledger-${from}-${to}.csv` });
    document.body.append(link); link.click(); link.remove();
  } }, t("Export (CSV)"));
  const show = h("button", { type: "button", class: "secondary", onclick: () => ledgerPage(fromInput.value, toInput.value) }, t("Show"));
  page(title, pickerOf(town),
    h("div", { class: "row" }, h("div", {}, h("label", { for: "ledger-from" }, t("From")), fromInput), h("div", {}, h("label", { for: "ledger-to" }, t("To")), toInput), show),
    h("p", {}, verify, " ", exportButton), result,
    h("p", { class: "muted" }, t("{n} entries", { n: entries.length })),
    h("div", { class: "scroll" }, h("table", { id: "ledger" },
      h("thead", {}, h("tr", {}, [t("Sequence"), t("Kind"), t("Occurred"), t("Recorded by"), t("Summary")].map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, entries.map((e) => h("tr", {}, h("td", {}, e.sequence), h("td", {}, label(e.kind)), h("td", {}, showTime(e.occurTime)), h("td", {}, tail(e.actor)), h("td", {}, summary(e))))))));
}

/** The town's persons, to open one. */
export async function personsPage() {
  const title = t("Persons");
  const town = await townOrPicker(title, personsPage);
  if (!town) return;
  const [persons, villages] = await Promise.all([listAll(`/v1/${town}/persons`, "persons", {}, 2000), villageMap(town)]);
  page(title, pickerOf(town), h("div", { class: "scroll" }, h("table", { id: "persons" },
    h("thead", {}, h("tr", {}, [t("Name"), t("ID number"), t("Village"), t("Status")].map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, persons.map((p) => h("tr", {},
      h("td", {}, h("a", { href: `#/person/${p.name}` }, p.displayName)), h("td", {}, p.idNumberMasked),
      h("td", {}, villages[p.village] || tail(p.village)), h("td", {}, label(p.status))))))));
}

/** A person's overview: the ID number masked, status, care level, visits, missed weeks, agreements. */
export async function personPage(name) {
  let person; let visits; let missed; let escalations = null;
  try { // the gateway's one-call view, when it has it
    const view = await api("GET", `/v1/${name}:overview`);
    person = view.person;
    visits = view.recentVisits || [];
    missed = view.missedWeeks ? { missedWeeks: view.missedWeeks } : null;
    escalations = view.openEscalations;
  } catch (_e) {
    try {
      person = await api("GET", `/v1/${name}`);
    } catch (error) {
      page(t("Person"), h("div", { class: "error", role: "alert", id: "person-refused" },
        error instanceof ApiError && [403, 404].includes(error.httpStatus) ? t("This person cannot be shown to you: {reason}", { reason: error.describe() }) : (error.describe ? error.describe() : String(error))));
      return;
    }
    [visits, missed] = await Promise.all([
      api("GET", "/v1/visits", { query: { person: name, pageSize: 20 } }).then((a) => a.visits || [], () => []),
      api("GET", `/v1/${name}/missedWeeks`, { query: { startWeek: weekBefore(12), endWeek: isoWeek() } }).catch(() => null),
    ]);
  }
  if (!missed) { // the view could not say: asked for the last twelve weeks
    missed = await api("GET", `/v1/${name}/missedWeeks`, { query: { startWeek: weekBefore(12), endWeek: isoWeek() } }).catch(() => null);
  }
  const agreements = await api("GET", `/v1/${name}/agreements`).then((a) => a.agreements || [], () => []);
  const workerName = person.worker ? await api("GET", `/v1/${person.worker}`).then((w) => w.displayName, () => tail(person.worker)) : "";
  const village = await api("GET", `/v1/${person.village}`).then((v) => v.displayName, () => tail(person.village));
  const fact = (k, v, id = "") => [h("dt", {}, k), h("dd", id ? { id } : {}, v || "—")];
  const findingsOf = (v) => Object.entries(v.checks || {}).filter(([, c]) => c.result === "CHECK_RESULT_PROBLEM").map(([field]) => checkItemLabel(`CHECK_ITEM_${field.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`));
  page(t("Person: {name}", { name: person.displayName }),
    h("dl", { id: "person-facts" },
      fact(t("ID number"), person.idNumberMasked, "id-masked"),
      fact(t("Village"), village),
      fact(t("Status"), label(person.status)),
      fact(t("Self-care ability"), label(person.careLevel)),
      fact(t("Birth date"), showDate(person.birthDate)),
      fact(t("Address"), person.address),
      fact(t("Worker"), workerName)),
    escalations ? [h("h2", {}, t("Open escalations")),
      escalations.length ? h("ul", { class: "list", id: "person-escalations" }, escalations.map((e) => escalationItem(e, person.displayName))) : h("p", { class: "ok" }, t("No open escalations"))] : null,
    h("h2", {}, t("Visits")),
    visits.length ? h("ul", { class: "list" }, visits.map((v) => {
      const found = findingsOf(v);
      return h("li", {}, h("strong", {}, showTime(v.visitTime)), " ", found.length ? h("span", { class: "bad" }, t("Findings: {items}", { items: found.join("、") })) : h("span", { class: "ok" }, t("Nothing wrong found")));
    })) : h("p", { class: "muted" }, t("No visits yet")),
    h("h2", {}, t("Missed weeks")),
    missed ? h("p", {}, missed.missedWeeks.length ? t("{n} missed: {weeks}", { n: missed.missedWeeks.length, weeks: missed.missedWeeks.map((w) => w.week).join(", ") }) : t("None")) : h("p", { class: "muted" }, "—"),
    h("h2", {}, t("Four-party agreements")),
    agreements.length ? h("ul", {}, agreements.map((a) => h("li", {}, showDate(a.signDate || a.startDate), " ", tail(a.worker)))) : h("p", { class: "warn" }, t("No four-party agreement")));
}
