// HR, finance and pay pages: each offered once the gateway serves the RPCs it calls and the
// signed-in role may call them (app.js filters on the operationId).
import { ApiError, api, availableOperations, callWithBody, listAll } from "../js/api.js";
import { barChart } from "../js/charts.js";
import { h, page, tail, toast } from "../js/dom.js";
import { t } from "../js/i18n.js";
import { label } from "../js/labels.js";
import { newRequestId } from "../js/outbox.js";
import { chooseTown, currentTown, scopeTown } from "../js/session.js";
import { cstDate, showDate, showTime } from "../js/time.js";

/** [route, title, roles, render, operationId] as app.js reads them. */
export function PAGES() {
  const town = ["station_chief", "town_head", "city_civil_affairs"];
  return [
    ["finance", t("Subsidy and spending"), [...town, "city_finance", "auditor"], () => financePage(), "FinanceService_GetPeriod"],
    ["hr", t("Staff and renewals"), [...town, "hr", "auditor"], () => hrPage(), "HrService_GetTownStaffing"],
    ["pay", t("Performance pay"), [...town, "city_finance", "auditor"], () => payPage(), "AssessmentService_ListPayRuns"],
  ];
}

/** Money {fen: "12345"} as `¥123.45`; integer fen only, never a float. */
export function yuan(money) {
  const fen = BigInt(money && money.fen ? money.fen : 0);
  const abs = fen < 0n ? -fen : fen;
  return `${fen < 0n ? "-" : ""}¥${abs / 100n}.${String(abs % 100n).padStart(2, "0")}`;
}

/** "123.45" (yuan, at most two decimals) as {fen}; null when it is not such an amount. */
export function fenOf(text) {
  const m = String(text).trim().match(/^(\d+)(?:\.(\d{1,2}))?$/);
  if (!m) return null;
  return { fen: String(BigInt(m[1]) * 100n + BigInt((m[2] || "0").padEnd(2, "0"))) };
}

function errorBox(error, id = "") {
  return h("div", { class: "error", role: "alert", id: id || undefined }, error instanceof ApiError ? error.describe() : String(error));
}

function currentHalf() {
  const d = cstDate();
  return `${d.year}H${d.month <= 6 ? 1 : 2}`;
}

async function townPicker(again) {
  const town = await currentTown();
  if (scopeTown()) return [town, null];
  const towns = await listAll("/v1/towns", "towns");
  const select = h("select", { id: "town-picker", onchange: () => { chooseTown(select.value); again(); } },
    h("option", { value: "" }, t("Choose a town")),
    towns.map((x) => h("option", { value: x.name, selected: x.name === town }, x.displayName)));
  return [town, h("p", {}, h("label", { for: "town-picker" }, t("Town")), select)];
}

const amountRow = (title, money, id) => [h("dt", {}, title), h("dd", { id }, yuan(money))];

/** Finance (F1-F5): the period, its allocation and explanation, postings, and the close. */
export async function financePage(period = currentHalf()) {
  const title = t("Subsidy and spending");
  const [town, picker] = await townPicker(() => financePage(period));
  if (!town) { page(title, picker); return; }
  const ops = await availableOperations();
  const name = `${town}/periods/${period}`;
  const periodInput = h("input", { type: "text", id: "period", value: period, pattern: "\\d{4}H[12]" });
  const chooser = h("div", { class: "row" }, h("div", {}, h("label", { for: "period" }, t("Period")), periodInput),
    h("button", { type: "button", class: "secondary", onclick: () => financePage(periodInput.value.trim()) }, t("Show")));
  let state;
  try {
    state = await api("GET", `/v1/${name}`);
  } catch (error) {
    const parts = [picker, chooser, errorBox(error)];
    if (ops.has("FinanceService_ComputeAllocations")) parts.push(computeForm(name, period));
    page(title, ...parts);
    return;
  }
  const [allocations, postings] = await Promise.all([
    api("GET", `/v1/${name}/allocations`).then((a) => a.allocations || [], () => []),
    api("GET", `/v1/${name}/postings`).then((a) => a.postings || [], () => []),
  ]);
  const closeResult = h("div", { id: "close-result", role: "status", "aria-live": "polite" });
  const closeButton = ops.has("FinanceService_ClosePeriod") && state.state !== "PERIOD_STATE_CLOSED"
    ? h("button", { type: "button", id: "close-period", onclick: async () => {
      try {
        await api("POST", `/v1/${name}:close`, { body: {} });
        toast(t("The period is closed"));
        await financePage(period);
      } catch (error) {
        closeResult.replaceChildren(h("p", { class: "error", role: "alert", id: "close-refused" }, t("The period cannot be closed: {reason}", { reason: error instanceof ApiError ? error.describe() : String(error) })));
      }
    } }, t("Close the period")) : null;
  const spent = new Map();
  for (const p of postings.filter((x) => x.kind === "POSTING_KIND_EXPENSE")) {
    spent.set(p.category, (spent.get(p.category) || 0n) + BigInt(p.amount?.fen || 0));
  }
  let statement = null;
  if (state.state === "PERIOD_STATE_CLOSED") statement = await api("GET", `/v1/${name}/statement`).catch(() => null);
  page(title, picker, chooser,
    h("h2", {}, t("Period {period}: {state}", { period, state: label(state.state) })),
    h("dl", { class: "cards", id: "period-facts" },
      amountRow(t("Allocated"), state.allocated, "allocated"),
      amountRow(t("Disbursed to the town"), state.disbursedToTown, "to-town"),
      amountRow(t("Disbursed to the station"), state.disbursedToStation, "to-station"),
      amountRow(t("Town balance"), state.townBalance, "town-balance"),
      amountRow(t("Station balance"), state.stationBalance, "station-balance"),
      amountRow(t("Spent"), state.spent, "spent"),
      amountRow(t("Returned to the city"), state.returned, "returned")),
    closeButton ? h("p", {}, closeButton) : null, closeResult,
    statement ? statementView(statement) : null,
    h("h2", {}, t("Allocation and its explanation")),
    allocations.length ? h("ul", { class: "list", id: "allocations" }, allocations.map((a) => allocationItem(a, ops, () => financePage(period)))) : h("p", { class: "muted" }, t("No allocation yet")),
    ops.has("FinanceService_ComputeAllocations") && state.state !== "PERIOD_STATE_CLOSED" ? computeForm(name, period) : null,
    ops.has("FinanceService_CreateDisbursement") && state.state !== "PERIOD_STATE_CLOSED" ? disbursementForm(name, () => financePage(period)) : null,
    ops.has("FinanceService_CreateExpense") && state.state !== "PERIOD_STATE_CLOSED" ? expenseForm(name, () => financePage(period)) : null,
    h("h2", {}, t("Spending by category")),
    spent.size ? barChart(t("Spending by category this period (yuan)"), [...spent].map(([c, fen]) => ({ label: label(c).slice(0, 10), value: Number(fen) / 100, text: yuan({ fen: String(fen) }) })))
      : h("p", { class: "muted" }, t("Nothing spent yet this period")),
    h("h2", {}, t("Postings")),
    h("div", { class: "scroll" }, h("table", { id: "postings" },
      h("thead", {}, h("tr", {}, [t("Kind"), t("Category"), t("Amount"), t("Payee"), t("Recorded by"), t("Recorded")].map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, postings.map((p) => h("tr", {}, h("td", {}, label(p.kind)), h("td", {}, label(p.kind === "POSTING_KIND_EXPENSE" ? p.category : p.leg)), h("td", {}, yuan(p.amount)), h("td", {}, p.payee), h("td", {}, tail(p.postedBy)), h("td", {}, showTime(p.postTime))))))));
}

function allocationItem(a, ops, again) {
  const out = h("div", {});
  const approve = ops.has("FinanceService_ApproveAllocation") && a.state === "ALLOCATION_STATE_DRAFT"
    ? h("button", { type: "button", class: "secondary", onclick: async () => {
      try { await api("POST", `/v1/${a.name}:approve`, { body: {} }); await again(); } catch (error) { out.replaceChildren(errorBox(error)); }
    } }, t("Approve")) : null;
  return h("li", { "data-allocation": a.name },
    h("div", { class: "row" }, h("strong", {}, yuan(a.amount)), h("span", { class: "tag" }, label(a.state))),
    h("div", { class: "muted" }, t("Computed by {who} at {time}", { who: tail(a.computedBy), time: showTime(a.computeTime) }),
      a.approvedBy ? ["；", t("approved by {who}", { who: tail(a.approvedBy) })] : ""),
    (a.warnings || []).map((w) => h("div", { class: "warn" }, w)),
    h("details", {}, h("summary", {}, t("How it was computed ({n} lines)", { n: (a.lines || []).length })),
      h("div", { class: "scroll" }, h("table", {},
        h("thead", {}, h("tr", {}, [t("Month"), t("Self-care ability"), t("Person-months"), t("Monthly standard"), t("Amount")].map((x) => h("th", { scope: "col" }, x)))),
        h("tbody", {}, (a.lines || []).map((l) => h("tr", {}, h("td", {}, showDate(l.month).slice(0, 7)), h("td", {}, label(l.careLevel)), h("td", {}, l.personMonths), h("td", {}, yuan(l.standard)), h("td", {}, yuan(l.amount)))))))),
    approve, out);
}

function computeForm(name, period) {
  const out = h("div", {});
  const reason = h("input", { type: "text", id: "compute-reason" });
  const form = h("form", { id: "compute-form" },
    h("h2", {}, t("Compute the allocation")),
    h("label", { for: "compute-reason" }, t("Reason for persons without an assessment (if any)")), reason,
    h("p", {}, h("button", { type: "submit" }, t("Compute"))), out);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("POST", `/v1/${name}/allocations:compute`, { body: { unassessedOverrideReason: reason.value.trim() } });
      await financePage(period);
    } catch (error) { out.replaceChildren(errorBox(error)); }
  });
  return form;
}

function moneyForm(id, heading, fields, submit) {
  const out = h("div", {});
  const form = h("form", { id }, h("h2", {}, heading), fields, h("p", {}, h("button", { type: "submit" }, heading)), out);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try { await submit(); } catch (error) { out.replaceChildren(errorBox(error)); }
  });
  return form;
}

function disbursementForm(name, again) {
  const leg = h("select", { id: "leg" }, ["DISBURSEMENT_LEG_CITY_TO_TOWN", "DISBURSEMENT_LEG_TOWN_TO_STATION"].map((v) => h("option", { value: v }, label(v))));
  const amount = h("input", { type: "text", id: "disburse-amount", inputmode: "decimal" });
  const requestId = newRequestId();
  return moneyForm("disburse-form", t("Record a disbursement"),
    [h("label", { for: "leg" }, t("From and to")), leg, h("label", { for: "disburse-amount" }, t("Amount (yuan)")), amount],
    async () => {
      const money = fenOf(amount.value);
      if (!money) throw new Error(t("Write the amount in yuan, at most two decimals"));
      await api("POST", `/v1/${name}/disbursements`, { body: { leg: leg.value, amount: money, requestId } });
      await again();
    });
}

function expenseForm(name, again) {
  const categories = ["EXPENSE_CATEGORY_WORKER_PAY", "EXPENSE_CATEGORY_PERFORMANCE_PAY", "EXPENSE_CATEGORY_TRAINING", "EXPENSE_CATEGORY_VISIT_TRANSPORT", "EXPENSE_CATEGORY_CLEANING_ASSISTANCE", "EXPENSE_CATEGORY_OTHER"];
  const category = h("select", { id: "category" }, categories.map((v) => h("option", { value: v }, label(v))));
  const payee = h("input", { type: "text", id: "payee" });
  const amount = h("input", { type: "text", id: "expense-amount", inputmode: "decimal" });
  const evidence = h("input", { type: "text", id: "evidence" });
  const requestId = newRequestId();
  return moneyForm("expense-form", t("Record an expense"),
    [h("label", { for: "category" }, t("Category")), category, h("label", { for: "payee" }, t("Payee")), payee,
      h("label", { for: "expense-amount" }, t("Amount (yuan)")), amount, h("label", { for: "evidence" }, t("Evidence")), evidence],
    async () => {
      const money = fenOf(amount.value);
      if (!money) throw new Error(t("Write the amount in yuan, at most two decimals"));
      const expense = { category: category.value, payee: payee.value.trim(), amount: money, evidence: evidence.value.trim() };
      await callWithBody("FinanceService_CreateExpense", "POST", `/v1/${name}/expenses`, "expense", expense, { requestId });
      await again();
    });
}

function statementView(s) {
  return h("section", { id: "statement" }, h("h2", {}, t("Statement")),
    h("dl", { class: "cards" },
      amountRow(t("Opening"), s.opening, "st-opening"), amountRow(t("Received"), s.received, "st-received"),
      amountRow(t("Returned to the city"), s.returned, "st-returned"), amountRow(t("Closing"), s.closing, "st-closing")),
    h("p", { class: "muted" }, t("Statement hash {hash}", { hash: String(s.statementHash || "").slice(0, 16) })));
}

/** HR (H1-H9): staffing, renewal eligibility with reasons, training short, a round's ranking. */
export async function hrPage() {
  const title = t("Staff and renewals");
  const [town, picker] = await townPicker(hrPage);
  if (!town) { page(title, picker); return; }
  const ops = await availableOperations();
  const today = cstDate();
  const parts = [picker];
  try {
    const s = await api("GET", `/v1/${town}/staffing`);
    parts.push(h("h2", {}, t("Staffing")), h("div", { class: "cards", id: "staffing" },
      h("div", { class: "card" }, h("div", { class: "muted" }, t("Required")), h("div", { class: "n" }, s.required)),
      h("div", { class: "card" }, h("div", { class: "muted" }, t("Active")), h("div", { class: "n" }, s.active)),
      h("div", { class: "card" }, h("div", { class: "muted" }, t("Staffing shortfall")), h("div", { class: `n ${s.shortfall ? "bad" : "ok"}` }, s.shortfall))),
    s.shortfall && s.since ? h("p", { class: "warn" }, t("Short since {date}", { date: showDate(s.since) })) : null);
  } catch (error) { parts.push(errorBox(error)); }
  if (ops.has("HrService_GetRenewalReport")) {
    const before = { year: today.year + 1, month: today.month, day: Math.min(today.day, 28) };
    try {
      const report = await api("GET", `/v1/${town}/renewalReport`, { query: { "endingBefore.year": before.year, "endingBefore.month": before.month, "endingBefore.day": before.day } });
      parts.push(h("h2", {}, t("Contracts ending within a year")),
        (report.rows || []).length ? h("ul", { class: "list", id: "renewals" }, report.rows.map((r) => h("li", {},
          h("div", { class: "row" }, h("strong", {}, r.displayName), h("span", { class: `tag ${r.eligibility === "ELIGIBILITY_ELIGIBLE" ? "ok" : "bad"}` }, label(r.eligibility))),
          h("div", {}, t("Contract ends {date}", { date: showDate(r.endDate) })),
          h("ul", {}, (r.reasons || []).map((x) => h("li", { class: x.blocking ? "bad" : "warn" }, x.message, x.rule ? ` (${x.rule})` : "")))))) : h("p", { class: "muted" }, t("No contract ends within a year")),
        (report.warnings || []).map((w) => h("p", { class: "warn" }, `${w.displayName}: ${w.message}`)));
    } catch (error) { parts.push(errorBox(error)); }
  }
  if (ops.has("HrService_ListTrainingHours")) {
    try {
      const hours = (await api("GET", `/v1/${town}/trainingHours`, { query: { year: today.year } })).trainingHours || [];
      const rows = hours.map((x) => ({ label: x.displayName, value: x.tenthHours / 10, marker: x.requiredTenthHours / 10, color: x.shortTenthHours > 0 ? "#b42318" : "#1a7f37", text: t("{hours} of {required} h", { hours: x.tenthHours / 10, required: x.requiredTenthHours / 10 }) }));
      parts.push(h("h2", {}, t("Training hours this year")), rows.length ? barChart(t("Training hours per worker; the red line is the yearly requirement"), rows) : h("p", { class: "muted" }, t("No workers")));
    } catch (error) { parts.push(errorBox(error)); }
  }
  if (ops.has("HrService_GetRecruitmentRound")) parts.push(roundLookup(town));
  page(title, ...parts);
}

function roundLookup(town) {
  const id = h("input", { type: "text", id: "round-id" });
  const out = h("div", { id: "round" });
  const form = h("form", {}, h("h2", {}, t("A recruitment round's ranking")),
    h("label", { for: "round-id" }, t("Round")), id, h("p", {}, h("button", { type: "submit", class: "secondary" }, t("Show"))), out);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const round = await api("GET", `/v1/${town}/recruitmentRounds/${encodeURIComponent(id.value.trim())}`);
      out.replaceChildren(h("ol", { class: "list" }, (round.ranking || []).map((r) => h("li", {},
        h("div", { class: "row" }, h("strong", {}, `${r.rank}. ${r.displayName}`), h("span", {}, t("Score {score}", { score: r.combinedScore })), r.offered ? h("span", { class: "tag ok" }, t("Offered")) : null),
        h("ul", {}, (r.reasons || []).map((x) => h("li", {}, x)))))));
    } catch (error) { out.replaceChildren(errorBox(error)); }
  });
  return form;
}

const COMPONENTS = ["COMPONENT_COVERAGE", "COMPONENT_CONTACT_IMMEDIATE", "COMPONENT_CONTACT_PROMPT", "COMPONENT_ACTION", "COMPONENT_LEDGER", "COMPONENT_MANUAL"];

/** Pay (A1-A4): the draft run with each worker's explanation, what-if weights, approval. */
export async function payPage(period = currentHalf()) {
  const title = t("Performance pay");
  const [town, picker] = await townPicker(() => payPage(period));
  if (!town) { page(title, picker); return; }
  const ops = await availableOperations();
  const runs = await listAll(`/v1/${town}/payRuns`, "payRuns").catch(() => []);
  const here = runs.filter((r) => r.period === period);
  const periodInput = h("input", { type: "text", id: "pay-period", value: period });
  const out = h("div", { id: "pay-result" });
  const weights = COMPONENTS.map((c) => h("input", { type: "number", min: 0, max: 1, step: "0.0001", id: `w-${c}`, "aria-label": label(c) }));
  const whatIf = ops.has("AssessmentService_PreviewPayRun") ? h("form", { id: "what-if" },
    h("h2", {}, t("What if the weights were")),
    h("div", { class: "cards" }, COMPONENTS.map((c, i) => h("div", {}, h("label", { for: `w-${c}` }, label(c)), weights[i]))),
    h("p", {}, h("button", { type: "submit", class: "secondary" }, t("Preview")))) : null;
  if (whatIf) whatIf.addEventListener("submit", async (event) => {
    event.preventDefault();
    const given = COMPONENTS.map((c, i) => ({ component: c, weight: Number(weights[i].value) })).filter((w) => weights[COMPONENTS.indexOf(w.component)].value !== "");
    try {
      const preview = await api("POST", `/v1/${town}/payRuns:preview`, { body: { period, weights: given } });
      out.replaceChildren(h("h2", {}, t("Preview")), runView(preview));
    } catch (error) { out.replaceChildren(errorBox(error)); }
  });
  const create = ops.has("AssessmentService_CreatePayRun") ? h("button", { type: "button", onclick: async () => {
    try { await api("POST", `/v1/${town}/payRuns`, { body: { period } }); await payPage(period); } catch (error) { out.replaceChildren(errorBox(error)); }
  } }, t("Draft the pay run")) : null;
  page(title, picker,
    h("div", { class: "row" }, h("div", {}, h("label", { for: "pay-period" }, t("Period")), periodInput),
      h("button", { type: "button", class: "secondary", onclick: () => payPage(periodInput.value.trim()) }, t("Show"))),
    here.length ? here.map((r) => h("section", {}, h("h2", {}, t("Pay run {name}: {state}", { name: tail(r.name), state: label(r.state) })), runView(r),
      ops.has("AssessmentService_ApprovePayRun") && r.state === "PAY_RUN_STATE_DRAFT" ? h("button", { type: "button", onclick: async () => {
        try { await api("POST", `/v1/${r.name}:approve`, { body: {} }); await payPage(period); } catch (error) { out.replaceChildren(errorBox(error)); }
      } }, t("Approve")) : null)) : [h("p", { class: "muted" }, t("No pay run for this period yet")), create ? h("p", {}, create) : null],
    whatIf, out);
}

function runView(run) {
  return h("div", {},
    h("p", {}, t("Withheld {withheld}, paid {paid}", { withheld: yuan(run.totalWithheld), paid: yuan(run.totalPaid) })),
    h("ul", { class: "list" }, (run.lines || []).map((l) => h("li", {},
      h("div", { class: "row" }, h("strong", {}, l.displayName || tail(l.worker)), h("span", {}, t("Score {score}", { score: Number(l.score).toFixed(2) })), h("span", {}, yuan(l.paid))),
      h("div", { class: "muted" }, t("Withheld {withheld} = base {base} × {ratio}% × {months} months", { withheld: yuan(l.withheld), base: yuan(l.monthlyBase), ratio: (l.withholdingRatioBp || 0) / 100, months: l.monthsEmployed })),
      h("details", {}, h("summary", {}, t("How the score was reached")),
        h("ul", {}, (l.metrics || []).map((m) => h("li", {}, t("{component}: {num} of {den}, fair rate {rate}, weight {weight}", { component: label(m.component), num: m.numerator, den: m.denominator, rate: m.estimate === undefined || m.estimate === null || Number.isNaN(Number(m.estimate)) ? "—" : Number(m.estimate).toFixed(3), weight: Number(m.effectiveWeight || 0).toFixed(4) })))),
        l.manualReason ? h("p", {}, t("Chief's score: {reason}", { reason: l.manualReason })) : null)))));
}
