// The visit policy in effect (rules V3-V6), read from the API and kept for offline use, to show
// before saving which escalation a finding will open and by when.
import { api } from "./api.js";
import { cstDate, seconds } from "./time.js";

const KEY = "sgz.policy";

export async function currentPolicy() {
  try {
    const answer = await api("GET", "/v1/visitPolicies", { query: { pageSize: 1000 } });
    const today = cstDate();
    const key = (d) => d.year * 10000 + d.month * 100 + d.day;
    const inEffect = (answer.policies || []).filter((p) => key(p.effectiveDate) <= key(today));
    const policy = inEffect[inEffect.length - 1] || null;
    if (policy) localStorage.setItem(KEY, JSON.stringify(policy));
    return policy;
  } catch (_e) {
    return JSON.parse(localStorage.getItem(KEY) || "null");
  }
}

const RANK = { URGENCY_IMMEDIATE: 0, URGENCY_PROMPT: 1 };

/**
 * The escalations the findings (CheckItems with a problem) will open, as the visit service opens
 * them: one per action, with the most urgent urgency and the tightest deadlines, counted from
 * the visit time. [{action, urgency, findings, contactDeadline, actionDeadline, assistanceRequired}]
 */
export function preview(policy, findings, visitTime) {
  if (!policy) return [];
  const byAction = new Map();
  for (const finding of findings) {
    const rule = (policy.rules || []).find((r) => r.finding === finding);
    if (!rule) continue;
    const contact = seconds(rule.contactWithin) * 1000;
    const action = seconds(rule.actionWithin) * 1000;
    const open = byAction.get(rule.action);
    if (!open) {
      byAction.set(rule.action, { action: rule.action, urgency: rule.urgency, findings: [finding], contact, actionMs: action, assistanceRequired: !!rule.assistanceRequired });
    } else {
      open.findings.push(finding);
      if (RANK[rule.urgency] < RANK[open.urgency]) open.urgency = rule.urgency;
      open.contact = Math.min(open.contact, contact);
      open.actionMs = Math.min(open.actionMs, action);
      open.assistanceRequired ||= !!rule.assistanceRequired;
    }
  }
  const at = new Date(visitTime).getTime();
  return [...byAction.values()].map((e) => ({
    action: e.action, urgency: e.urgency, findings: e.findings, assistanceRequired: e.assistanceRequired,
    contactDeadline: new Date(at + e.contact), actionDeadline: new Date(at + e.actionMs),
  }));
}
