// The words for the API's enum values and resource kinds, from the catalog.
import { t } from "./i18n.js";

/** The visit checks (rule V2), in the order of the form: [JSON field, CheckItem, label, required]. */
export const CHECKS = [
  ["residenceHygiene", "CHECK_ITEM_RESIDENCE_HYGIENE", () => t("Cleanliness of the residence"), true],
  ["personalHygiene", "CHECK_ITEM_PERSONAL_HYGIENE", () => t("Personal hygiene"), true],
  ["regularDiet", "CHECK_ITEM_REGULAR_DIET", () => t("Regular diet"), true],
  ["foodSource", "CHECK_ITEM_FOOD_SOURCE", () => t("Source of food"), true],
  ["ableToFeedSelf", "CHECK_ITEM_ABLE_TO_FEED_SELF", () => t("Able to feed oneself"), true],
  ["houseSafety", "CHECK_ITEM_HOUSE_SAFETY", () => t("Safety of the house"), true],
  ["illness", "CHECK_ITEM_ILLNESS", () => t("Illness"), true],
  ["fireElectricitySafety", "CHECK_ITEM_FIRE_ELECTRICITY_SAFETY", () => t("Fire and electricity safety"), false],
  ["subsidyArrived", "CHECK_ITEM_SUBSIDY_ARRIVED", () => t("Subsidy arrived"), false],
  ["mentalState", "CHECK_ITEM_MENTAL_STATE", () => t("Mental state"), false],
];

export function checkItemLabel(item) {
  const found = CHECKS.find((c) => c[1] === item);
  return found ? found[2]() : item;
}

const LABELS = () => ({
  CHECK_RESULT_FINE: t("Fine"),
  CHECK_RESULT_PROBLEM: t("Problem"),
  CHECK_RESULT_NOT_CHECKED: t("Not checked"),
  URGENCY_IMMEDIATE: t("Immediately"),
  URGENCY_PROMPT: t("Promptly"),
  ESCALATION_ACTION_CLEANING: t("Cleaning of the residence"),
  ESCALATION_ACTION_HOSPITAL_ADMISSION: t("Hospital treatment"),
  ESCALATION_ACTION_INSTITUTION_ADMISSION: t("Move to a care institution"),
  ESCALATION_STATE_OPENED: t("Opened"),
  ESCALATION_STATE_CONTACT_NOTIFIED: t("Village contact notified"),
  ESCALATION_STATE_ACTION_ARRANGED: t("Action arranged"),
  ESCALATION_STATE_ASSISTANCE_RECORDED: t("Assistance recorded"),
  ESCALATION_STATE_RESOLVED: t("Resolved"),
  ESCALATION_STATE_CANCELLED: t("Cancelled"),
  ESCALATION_OUTCOME_CLEANED: t("The residence was cleaned"),
  ESCALATION_OUTCOME_ADMITTED_TO_HOSPITAL: t("Admitted to hospital"),
  ESCALATION_OUTCOME_ADMITTED_TO_INSTITUTION: t("Admitted to a care institution"),
  ESCALATION_OUTCOME_DECLINED_BY_PERSON: t("Declined by the person"),
  ESCALATION_OUTCOME_RESOLVED_OTHERWISE: t("Resolved otherwise"),
  CONTACT_CHANNEL_PHONE: t("By telephone"),
  CONTACT_CHANNEL_IN_PERSON: t("In person"),
  CONTACT_CHANNEL_MESSAGE: t("By message"),
  PERSON_STATUS_DISPERSED: t("Supported at home"),
  PERSON_STATUS_IN_INSTITUTION: t("In a care institution"),
  PERSON_STATUS_HOSPITALISED: t("In hospital"),
  PERSON_STATUS_DECEASED: t("Deceased"),
  PERSON_STATUS_EXITED: t("Exited"),
  CARE_LEVEL_SELF_CARE: t("Self-care"),
  CARE_LEVEL_PARTIAL: t("Partial loss of self-care"),
  CARE_LEVEL_FULL_LOSS: t("Full loss of self-care"),
  visit: t("Visit"),
  escalation: t("Escalation"),
  contact: t("Contact"),
  arrangement: t("Arrangement"),
  assistance: t("Assistance"),
  outcome: t("Outcome"),
  cancellation: t("Cancellation"),
  correction: t("Correction"),
  PERIOD_STATE_OPEN: t("Open for postings"),
  PERIOD_STATE_ALLOCATED: t("Allocated"),
  PERIOD_STATE_DISBURSED: t("Disbursed"),
  PERIOD_STATE_CLOSED: t("Closed for postings"),
  ALLOCATION_STATE_DRAFT: t("Draft, awaiting approval"),
  ALLOCATION_STATE_APPROVED: t("Approved"),
  ALLOCATION_STATE_SUPERSEDED: t("Superseded"),
  POSTING_KIND_DISBURSEMENT: t("Disbursement"),
  POSTING_KIND_EXPENSE: t("Expense"),
  POSTING_KIND_RETURN: t("Return"),
  POSTING_KIND_ADJUSTMENT: t("Adjustment"),
  DISBURSEMENT_LEG_CITY_TO_TOWN: t("City to town"),
  DISBURSEMENT_LEG_TOWN_TO_STATION: t("Town to station"),
  EXPENSE_CATEGORY_WORKER_PAY: t("Worker pay and insurance"),
  EXPENSE_CATEGORY_PERFORMANCE_PAY: t("Performance pay"),
  EXPENSE_CATEGORY_TRAINING: t("Training"),
  EXPENSE_CATEGORY_VISIT_TRANSPORT: t("Visit transport"),
  EXPENSE_CATEGORY_CLEANING_ASSISTANCE: t("Cleaning and assistance services"),
  EXPENSE_CATEGORY_OTHER: t("Other"),
  ELIGIBILITY_ELIGIBLE: t("Eligible for renewal"),
  ELIGIBILITY_NOT_ELIGIBLE: t("Not eligible"),
  ELIGIBILITY_UNDETERMINED: t("Not yet determined"),
  PAY_RUN_STATE_DRAFT: t("Draft"),
  PAY_RUN_STATE_APPROVED: t("Approved"),
  PAY_RUN_STATE_PREVIEW: t("Preview"),
  COMPONENT_COVERAGE: t("Weekly coverage"),
  COMPONENT_CONTACT_IMMEDIATE: t("Immediate contacts on time"),
  COMPONENT_CONTACT_PROMPT: t("Prompt contacts on time"),
  COMPONENT_ACTION: t("Actions arranged on time"),
  COMPONENT_LEDGER: t("Ledger completeness"),
  COMPONENT_MANUAL: t("Chief's score"),
});

let cached = null;

/** The reader's word for an enum value or ledger kind; the value itself when unknown. */
export function label(value) {
  if (!cached) cached = LABELS();
  return cached[value] || value || "";
}

/** The next step of an escalation in its state (visits.md "The lifecycle"). */
export function nextStep(escalation) {
  switch (escalation.state) {
    case "ESCALATION_STATE_OPENED": return t("Notify the village contact");
    case "ESCALATION_STATE_CONTACT_NOTIFIED": return t("Have the village arrange the action");
    case "ESCALATION_STATE_ACTION_ARRANGED":
      return escalation.assistanceRequired ? t("Record your assistance with the procedures") : t("Record the outcome");
    case "ESCALATION_STATE_ASSISTANCE_RECORDED": return t("Record the outcome");
    default: return "";
  }
}

/** The roles, and the pages each is offered. */
export const ROLES = () => [
  ["station_worker", t("Station worker")],
  ["station_chief", t("Station chief")],
  ["town_head", t("Town civil-affairs head")],
  ["city_civil_affairs", t("City civil-affairs bureau")],
  ["city_finance", t("City finance")],
  ["village_contact", t("Village contact")],
  ["hr", t("HR")],
  ["auditor", t("Auditor")],
];

export function roleLabel(role) {
  const found = ROLES().find((r) => r[0] === role);
  return found ? found[1] : role;
}
