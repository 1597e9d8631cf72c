// The worker's phone pages: this week's persons, the visit form (works offline), my open
// escalations, and the visits still waiting to be sent.
import { ApiError, api, availableOperations, listAll } from "../js/api.js";
import { h, page, tail, toast } from "../js/dom.js";
import { t } from "../js/i18n.js";
import { CHECKS, checkItemLabel, label, nextStep } from "../js/labels.js";
import * as outbox from "../js/outbox.js";
import { currentPolicy, preview } from "../js/policy.js";
import { TownUnknown, chooseTown, workerRecord } from "../js/session.js";
import { isoWeek, showTime } from "../js/time.js";

const WEEK_KEY = "sgz.week";
/** The five checks the policy text names (V2): asked at every visit whatever the policy adds. */
const CORE = new Set(["CHECK_ITEM_RESIDENCE_HYGIENE", "CHECK_ITEM_PERSONAL_HYGIENE", "CHECK_ITEM_REGULAR_DIET", "CHECK_ITEM_HOUSE_SAFETY", "CHECK_ITEM_ILLNESS"]);

function errorBox(error) {
  return h("div", { class: "error", role: "alert" }, error instanceof ApiError ? error.describe() : String(error));
}

async function villageNames(town) {
  const key = `sgz.villages.${town}`;
  try {
    const villages = await listAll(`/v1/${town}/villages`, "villages");
    const names = Object.fromEntries(villages.map((v) => [v.name, v.displayName]));
    localStorage.setItem(key, JSON.stringify(names));
    return names;
  } catch (_e) {
    return JSON.parse(localStorage.getItem(key) || "{}");
  }
}

/** The worker's record; when the town cannot be learned, a form asks for it (once per phone). */
async function me(again) {
  try {
    return await workerRecord();
  } catch (error) {
    if (!(error instanceof TownUnknown)) throw error;
    const town = h("input", { type: "text", id: "my-town", required: true, placeholder: "towns/…" });
    const form = h("form", { id: "town-form" },
      h("p", { class: "notice" }, t("Your town could not be found from your account. Enter the town's code as your station gave it.")),
      h("label", { for: "my-town" }, t("Town")), town,
      h("p", {}, h("button", { type: "submit" }, t("Save"))));
    const out = h("div", {});
    form.append(out);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const value = town.value.trim();
      if (!value) return;
      const name = value.startsWith("towns/") ? value : `towns/${value}`;
      try { // the town must list this worker's week
        await api("GET", `/v1/${name}/weeklyDue`, { query: { worker: error.message, week: isoWeek() } });
      } catch (refused) {
        out.replaceChildren(errorBox(refused));
        return;
      }
      chooseTown(name);
      again();
    });
    page(t("Your town"), form);
    return null;
  }
}

/** This week's persons to visit, with what is missing: visits, and the four-party agreement (R5). */
export async function weekPage() {
  const worker = await me(weekPage);
  if (!worker) return;
  const week = isoWeek();
  let due;
  let fromPhone = false;
  try {
    due = await api("GET", `/v1/${worker.town}/weeklyDue`, { query: { worker: worker.name, week } });
    localStorage.setItem(WEEK_KEY, JSON.stringify(due));
  } catch (error) {
    if (!(error instanceof ApiError && error.offline)) throw error;
    due = JSON.parse(localStorage.getItem(WEEK_KEY) || "null");
    fromPhone = true;
    if (!due) throw error;
  }
  const villages = await villageNames(worker.town);
  let missing = [];
  try {
    missing = (await listAll(`/v1/${worker.town}/missingAgreements`, "missingAgreements")).filter((m) => !m.worker || m.worker === worker.name);
  } catch (_e) { /* shown only when it can be read */ }
  const noAgreement = new Set(missing.map((m) => m.person));
  const pending = new Map();
  for (const item of await outbox.waiting()) pending.set(item.visit.person, (pending.get(item.visit.person) || 0) + 1);
  const todo = due.due.filter((p) => !p.visited);
  const done = due.due.filter((p) => p.visited);
  const row = (p) => {
    const waitingHere = pending.get(p.person) || 0;
    const gaps = [];
    if (!p.visited) gaps.push(h("span", { class: "tag bad" }, t("{made} of {required} visits made", { made: p.visitsMade, required: p.requiredVisits })));
    if (waitingHere) gaps.push(h("span", { class: "tag warn" }, t("{n} waiting to be sent", { n: waitingHere })));
    if (noAgreement.has(p.person)) gaps.push(h("span", { class: "tag warn" }, t("No four-party agreement")));
    return h("li", { "data-person": p.person },
      h("div", { class: "row" },
        h("div", {}, h("strong", {}, p.displayName), " ", h("span", { class: "muted" }, villages[p.village] || tail(p.village))),
        h("a", { class: "button", href: `#/visit/${p.person}` }, t("Record a visit"))),
      gaps.length ? h("div", { class: "row" }, gaps) : h("div", { class: "ok" }, t("Visited this week")));
  };
  page(t("This week's visits"),
    h("p", { class: "muted" }, t("Week {week}: {visited} of {due} persons visited", { week: due.week, visited: due.visitedCount, due: due.dueCount })),
    fromPhone ? h("p", { class: "notice" }, t("No connection: showing the list kept on this phone")) : null,
    h("h2", {}, t("Still to visit ({n})", { n: todo.length })),
    todo.length ? h("ul", { class: "list", id: "todo" }, todo.map(row)) : h("p", { class: "ok" }, t("Everyone has been visited this week")),
    h("h2", {}, t("Visited ({n})", { n: done.length })),
    h("ul", { class: "list", id: "done" }, done.map(row)));
}

function personLabelFromWeek(person) {
  const due = JSON.parse(localStorage.getItem(WEEK_KEY) || "null");
  const found = due && due.due.find((p) => p.person === person);
  return found ? found.displayName : "";
}

function localInputValue(date) {
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 16);
}

/** The visit form: each check a clear choice, the escalations a finding opens shown before saving. */
export async function visitPage(person) {
  const worker = await me(() => visitPage(person));
  if (!worker) return;
  let personLabel = personLabelFromWeek(person);
  if (!personLabel) {
    try { personLabel = (await api("GET", `/v1/${person}`)).displayName; } catch (error) { if (!(error instanceof ApiError && error.offline)) throw error; }
  }
  const policy = await currentPolicy();
  const when = h("input", { type: "datetime-local", id: "visit-time", name: "visitTime", value: localInputValue(new Date()), required: true });
  const previewBox = h("div", { class: "preview", id: "escalation-preview", role: "status", "aria-live": "polite" });
  const problems = h("div", { id: "form-problems" });
  // Rule V2: the five checks of the policy text, and the extra ones the policy in effect asks.
  const extra = policy && Array.isArray(policy.extraChecks) ? new Set(policy.extraChecks) : null;
  const isRequired = ([, item, , core]) => (extra && !CORE.has(item) ? extra.has(item) : core);
  const asked = CHECKS.map((c) => [c[0], c[1], c[2], isRequired(c)]);
  const fieldsets = asked.map(([field, item, text, required]) => {
    const note = h("input", { type: "text", name: `${field}-note`, id: `${field}-note`, "aria-label": t("Note on {check}", { check: text() }) });
    const noteWrap = h("div", { hidden: true }, h("label", { for: `${field}-note` }, t("What was found, or why it was not checked")), note);
    const choice = (value, words) => h("label", {}, h("input", { type: "radio", name: field, value, "data-item": item }), words);
    const set = h("fieldset", { "data-check": field },
      h("legend", {}, text(), required ? "" : h("span", { class: "muted" }, " ", t("(optional)"))),
      h("div", { class: "choices" },
        choice("CHECK_RESULT_FINE", t("Fine")),
        choice("CHECK_RESULT_PROBLEM", t("Problem")),
        choice("CHECK_RESULT_NOT_CHECKED", t("Not checked"))),
      noteWrap);
    set.addEventListener("change", () => {
      const picked = set.querySelector("input[type=radio]:checked");
      noteWrap.hidden = !picked || picked.value === "CHECK_RESULT_FINE";
      update();
    });
    return set;
  });
  const notes = h("textarea", { id: "visit-notes", name: "notes", rows: 3 });
  const save = h("button", { type: "submit", id: "save-visit" }, t("Save the visit"));
  const allFine = h("button", { type: "button", class: "secondary", id: "all-fine", onclick: () => {
    for (const set of fieldsets) {
      const required = asked.find((c) => c[0] === set.dataset.check)[3];
      if (required && !set.querySelector("input:checked")) set.querySelector("input[value=CHECK_RESULT_FINE]").checked = true;
    }
    update();
  } }, t("Mark the unanswered checks fine"));

  function findings() {
    return fieldsets.flatMap((set) => {
      const picked = set.querySelector("input:checked");
      return picked && picked.value === "CHECK_RESULT_PROBLEM" ? [picked.dataset.item] : [];
    });
  }

  function update() {
    const at = when.value ? new Date(when.value) : new Date();
    const opens = preview(policy, findings(), at);
    if (!policy && findings().length) {
      previewBox.replaceChildren(h("p", {}, t("The escalation rules could not be read: a problem will still be escalated when the visit is sent")));
      return;
    }
    previewBox.replaceChildren(...(opens.length ? [
      h("strong", {}, t("Saving opens these escalations (unless one is already open for the person):")),
      h("ul", {}, opens.map((e) => h("li", { "data-urgency": e.urgency },
        h("strong", { class: e.urgency === "URGENCY_IMMEDIATE" ? "bad" : "warn" }, label(e.action)), " — ",
        t("{urgency}: notify the village contact by {contact}; the action arranged by {action}", { urgency: label(e.urgency), contact: showTime(e.contactDeadline), action: showTime(e.actionDeadline) }),
        " (", e.findings.map(checkItemLabel).join("、"), ")"))),
    ] : []));
  }
  when.addEventListener("change", update);

  const form = h("form", { id: "visit-form", novalidate: true },
    h("label", { for: "visit-time" }, t("Time of the visit")), when,
    h("p", {}, allFine),
    fieldsets,
    previewBox,
    h("label", { for: "visit-notes" }, t("Notes on the visit")), notes,
    problems,
    h("p", {}, save));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const checks = {};
    const wrong = [];
    for (const [field, _item, text, required] of asked) {
      const set = fieldsets.find((s) => s.dataset.check === field);
      const picked = set.querySelector("input:checked");
      const note = set.querySelector("input[type=text]").value.trim();
      if (!picked) {
        if (required) wrong.push(t("Choose a result for {check}", { check: text() }));
        continue;
      }
      if (picked.value !== "CHECK_RESULT_FINE" && !note) wrong.push(t("Write a note for {check}", { check: text() }));
      checks[field] = { result: picked.value, note };
    }
    if (!when.value || new Date(when.value) > new Date(Date.now() + 60000)) wrong.push(t("The visit time may not be in the future"));
    if (wrong.length) {
      problems.replaceChildren(h("div", { class: "error", role: "alert" }, h("ul", {}, wrong.map((w) => h("li", {}, w)))));
      return;
    }
    problems.replaceChildren();
    save.disabled = true;
    const item = {
      requestId: outbox.newRequestId(),
      personLabel: personLabel || tail(person),
      visit: { person, worker: worker.name, visitTime: new Date(when.value).toISOString(), checks, notes: notes.value.trim() },
    };
    await outbox.keep(item); // on the phone first: nothing is lost if the answer never comes
    try {
      const visit = await outbox.sendVisit(item);
      await outbox.discard(item.requestId);
      await showRecorded(visit, item.personLabel);
    } catch (error) {
      if (error instanceof ApiError && (error.offline || error.httpStatus >= 500)) {
        showKept(item, opensNow());
      } else {
        await outbox.discard(item.requestId);
        save.disabled = false;
        problems.replaceChildren(errorBox(error));
      }
    }
  });
  function opensNow() {
    return preview(policy, findings(), when.value ? new Date(when.value) : new Date());
  }
  page(t("Visit to {name}", { name: personLabel || tail(person) }), form);
  update();
}

async function showRecorded(visit, personLabel) {
  const escalations = [];
  for (const name of visit.escalations || []) {
    try { escalations.push(await api("GET", `/v1/${name}`)); } catch (_e) { escalations.push({ name }); }
  }
  page(t("Visit recorded"),
    h("p", { class: "success", id: "visit-recorded" }, t("The visit to {name} is recorded", { name: personLabel })),
    escalations.length ? [
      h("h2", {}, t("Escalations opened")),
      h("ul", { class: "list", id: "opened-escalations" }, escalations.map(escalationItem)),
    ] : h("p", {}, t("No escalation was opened")),
    h("p", {}, h("a", { class: "button", href: "#/week" }, t("Back to this week's visits"))));
}

function showKept(item, opens) {
  page(t("Visit kept on this phone"),
    h("p", { class: "notice", id: "visit-kept" }, t("No connection: the visit to {name} is kept on this phone and will be sent when the connection returns", { name: item.personLabel })),
    opens.length ? [
      h("h2", {}, t("Escalations it will open")),
      h("ul", { class: "list" }, opens.map((e) => h("li", {},
        h("strong", { class: e.urgency === "URGENCY_IMMEDIATE" ? "bad" : "warn" }, label(e.action)), " — ",
        t("{urgency}: notify the village contact by {contact}; the action arranged by {action}", { urgency: label(e.urgency), contact: showTime(e.contactDeadline), action: showTime(e.actionDeadline) })))),
      h("p", { class: "notice" }, t("Notify the village contact now by telephone: the deadline counts from the visit, not from sending")),
    ] : null,
    h("p", {}, h("a", { class: "button", href: "#/outbox" }, t("Waiting to be sent")), " ",
      h("a", { class: "button secondary", href: "#/week" }, t("Back to this week's visits"))));
}

function deadlineLine(escalation) {
  if (!escalation.nextDeadline) return null;
  const late = new Date(escalation.nextDeadline) < new Date();
  return h("div", { class: late ? "bad" : "" },
    late ? t("Overdue since {time}", { time: showTime(escalation.nextDeadline) }) : t("Deadline {time}", { time: showTime(escalation.nextDeadline) }));
}

/** One escalation: action, urgency, deadlines, state and the next step. */
export function escalationItem(e, personLabel = "") {
  if (!e.action) return h("li", {}, e.name);
  return h("li", { "data-escalation": e.name, "data-urgency": e.urgency },
    h("div", { class: "row" },
      h("strong", {}, label(e.action), personLabel ? ` · ${personLabel}` : ""),
      h("span", { class: `tag ${e.urgency === "URGENCY_IMMEDIATE" ? "bad" : "warn"}` }, label(e.urgency))),
    h("div", {}, t("Notify the village contact by {time}", { time: showTime(e.contactDeadline) }), e.contactOverdue ? h("strong", { class: "bad" }, " ", t("(late)")) : ""),
    h("div", {}, t("Action arranged by {time}", { time: showTime(e.actionDeadline) }), e.actionOverdue ? h("strong", { class: "bad" }, " ", t("(late)")) : ""),
    h("div", {}, t("State: {state}", { state: label(e.state) })),
    nextStep(e) ? h("div", {}, h("strong", {}, t("Next step: {step}", { step: nextStep(e) }))) : null,
    deadlineLine(e));
}

/** My open escalations with their deadlines and the next step; the contact recorded from here. */
export async function myEscalationsPage() {
  const worker = await me(myEscalationsPage);
  if (!worker) return;
  const ops = await availableOperations();
  const escalations = await listAll(`/v1/${worker.town}/escalations`, "escalations", { worker: worker.name, view: "ESCALATION_VIEW_OPEN" });
  escalations.sort((a, b) => String(a.nextDeadline || "~").localeCompare(String(b.nextDeadline || "~")));
  const names = new Map();
  for (const e of escalations) {
    if (!names.has(e.person)) {
      names.set(e.person, personLabelFromWeek(e.person) || await api("GET", `/v1/${e.person}`).then((p) => p.displayName, () => tail(e.person)));
    }
  }
  page(t("My open escalations"),
    escalations.length ? h("ul", { class: "list", id: "my-escalations" }, escalations.map((e) => {
      const item = escalationItem(e, names.get(e.person));
      const step = stepForm(e, ops, myEscalationsPage);
      if (step) item.append(step);
      return item;
    })) : h("p", { class: "ok" }, t("No open escalations")));
}

const TODAY = () => { const d = new Date(Date.now() + 8 * 3600000); return d.toISOString().slice(0, 10); };
const asDate = (text) => { const [year, month, day] = text.split("-").map(Number); return { year, month, day }; };

/** The outcomes that fit an escalation's action (visits.md "The lifecycle"). */
function outcomesFor(action) {
  const done = {
    ESCALATION_ACTION_CLEANING: "ESCALATION_OUTCOME_CLEANED",
    ESCALATION_ACTION_HOSPITAL_ADMISSION: "ESCALATION_OUTCOME_ADMITTED_TO_HOSPITAL",
    ESCALATION_ACTION_INSTITUTION_ADMISSION: "ESCALATION_OUTCOME_ADMITTED_TO_INSTITUTION",
  }[action];
  return [done, "ESCALATION_OUTCOME_DECLINED_BY_PERSON", "ESCALATION_OUTCOME_RESOLVED_OTHERWISE"].filter(Boolean);
}

/**
 * The form of an escalation's next step, when the role may record it: the village contact's
 * notification, the arrangement, the worker's assistance, or the outcome. `again` redraws.
 */
export function stepForm(escalation, ops, again) {
  const id = tail(escalation.name);
  const out = h("div", {});
  const requestId = outbox.newRequestId(); // a retried step returns the escalation unchanged
  const field = (key, text, control) => [h("label", { for: `${key}-${id}` }, text), control];
  let heading; let fields; let send;
  const now = () => new Date().toISOString();
  switch (escalation.state) {
    case "ESCALATION_STATE_OPENED": {
      if (!ops.has("VisitService_NotifyVillageContact")) return null;
      const who = h("input", { type: "text", id: `contact-${id}` });
      const channel = h("select", { id: `channel-${id}` },
        ["CONTACT_CHANNEL_PHONE", "CONTACT_CHANNEL_IN_PERSON", "CONTACT_CHANNEL_MESSAGE"].map((c) => h("option", { value: c }, label(c))));
      heading = t("Record the notification");
      fields = [field("contact", t("Village contact notified (name)"), who), field("channel", t("How"), channel)];
      send = () => {
        if (!who.value.trim()) throw new Error(t("Write the contact's name"));
        return api("POST", `/v1/${escalation.name}:notifyContact`, { body: { contact: { displayName: who.value.trim(), channel: channel.value, contactTime: now() }, requestId } });
      };
      break;
    }
    case "ESCALATION_STATE_CONTACT_NOTIFIED": {
      if (!ops.has("VisitService_ArrangeEscalationAction")) return null;
      const day = h("input", { type: "date", id: `arranged-${id}`, value: TODAY() });
      const note = h("input", { type: "text", id: `arrange-note-${id}` });
      heading = t("Record the arrangement");
      fields = [h("p", {}, label(escalation.action)), field("arranged", t("Arranged for"), day), field("arrange-note", t("Note"), note)];
      send = () => api("POST", `/v1/${escalation.name}:arrangeAction`, { body: { arrangement: { action: escalation.action, actionDate: asDate(day.value), arrangeTime: now(), note: note.value.trim() }, requestId } });
      break;
    }
    case "ESCALATION_STATE_ACTION_ARRANGED":
    case "ESCALATION_STATE_ASSISTANCE_RECORDED": {
      if (escalation.state === "ESCALATION_STATE_ACTION_ARRANGED" && escalation.assistanceRequired) {
        if (!ops.has("VisitService_RecordEscalationAssistance")) return null;
        const note = h("input", { type: "text", id: `assist-note-${id}` });
        heading = t("Record your assistance");
        fields = [field("assist-note", t("What you did"), note)];
        send = () => {
          if (!note.value.trim()) throw new Error(t("Write what you did"));
          return api("POST", `/v1/${escalation.name}:recordAssistance`, { body: { assistance: { assistTime: now(), note: note.value.trim() }, requestId } });
        };
        break;
      }
      if (!ops.has("VisitService_ResolveEscalation")) return null;
      const outcome = h("select", { id: `outcome-${id}` }, outcomesFor(escalation.action).map((o) => h("option", { value: o }, label(o))));
      const day = h("input", { type: "date", id: `outcome-day-${id}`, value: TODAY() });
      const note = h("input", { type: "text", id: `outcome-note-${id}` });
      heading = t("Record the outcome");
      fields = [field("outcome", t("Outcome"), outcome), field("outcome-day", t("Day of the admission"), day), field("outcome-note", t("Note"), note)];
      send = () => {
        const resolution = { outcome: outcome.value, resolveTime: now(), note: note.value.trim() };
        if (outcome.value === "ESCALATION_OUTCOME_ADMITTED_TO_INSTITUTION") resolution.outcomeDate = asDate(day.value);
        return api("POST", `/v1/${escalation.name}:resolve`, { body: { resolution, requestId } });
      };
      break;
    }
    default:
      return null;
  }
  const form = h("form", { class: "step" }, fields, h("p", {}, h("button", { type: "submit" }, heading)), out);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await send();
      toast(t("The step is recorded"));
      await again();
    } catch (error) {
      out.replaceChildren(errorBox(error));
    }
  });
  return h("details", {}, h("summary", {}, heading), form);
}

/** What is still waiting on this phone, and what was sent from it lately. */
export async function outboxPage() {
  const items = await outbox.waiting();
  const sendNow = h("button", { type: "button", id: "send-now", onclick: async () => {
    const count = await outbox.flush();
    toast(t("{n} visits sent", { n: count }));
    await outboxPage();
  } }, t("Send now"));
  page(t("Waiting to be sent"),
    items.length ? h("ul", { class: "list", id: "waiting" }, items.map((item) => h("li", { "data-request-id": item.requestId },
      h("div", { class: "row" }, h("strong", {}, item.personLabel), h("span", { class: "muted" }, showTime(item.visit.visitTime))),
      item.state === "refused" ? [
        h("div", { class: "error" }, t("Refused: {reason}", { reason: item.error })),
        h("button", { type: "button", class: "secondary", onclick: async () => { await outbox.discard(item.requestId); await outboxPage(); } }, t("Discard")),
      ] : h("div", { class: "warn" }, t("Waiting for a connection"))))) : h("p", { class: "ok", id: "nothing-waiting" }, t("Nothing is waiting to be sent")),
    items.length ? h("p", {}, sendNow) : null,
    h("h2", {}, t("Sent from this phone")),
    h("ul", { class: "list", id: "sent" }, outbox.sent().map((s) => h("li", {},
      h("div", { class: "row" }, h("strong", {}, s.personLabel), h("span", { class: "muted" }, showTime(s.sentAt))),
      s.escalations.length ? h("div", {}, t("{n} escalations opened", { n: s.escalations.length }), " ",
        s.escalations.map((name) => h("a", { href: `#/escalation/${name}` }, tail(name)))) : null))));
}

/** One escalation, opened from a link. */
export async function escalationPage(name) {
  const e = await api("GET", `/v1/${name}`);
  let personLabel = personLabelFromWeek(e.person);
  if (!personLabel) personLabel = await api("GET", `/v1/${e.person}`).then((p) => p.displayName, () => tail(e.person));
  page(t("Escalation"), h("ul", { class: "list" }, escalationItem(e, personLabel)));
}
