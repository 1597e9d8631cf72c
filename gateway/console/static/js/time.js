// China Standard Time (UTC+8, no daylight saving) and ISO weeks, as the services count them (V1).
const CST_MS = 8 * 3600 * 1000;

/** The CST calendar date of an instant, as {year, month, day}. */
export function cstDate(at = new Date()) {
  const shifted = new Date(at.getTime() + CST_MS);
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() };
}

/** The ISO week (CST) of an instant, like `2026-W48`. */
export function isoWeek(at = new Date()) {
  const { year, month, day } = cstDate(at);
  const date = new Date(Date.UTC(year, month - 1, day));
  const weekday = date.getUTCDay() || 7;
  date.setUTCDate(date.getUTCDate() + 4 - weekday);
  const weekYear = date.getUTCFullYear();
  const week = Math.ceil(((date - Date.UTC(weekYear, 0, 1)) / 86400000 + 1) / 7);
  return `${weekYear}-W${String(week).padStart(2, "0")}`;
}

/** The ISO week `n` weeks before the one of `at`. */
export function weekBefore(n, at = new Date()) {
  return isoWeek(new Date(at.getTime() - n * 7 * 86400000));
}

const pad = (n) => String(n).padStart(2, "0");

/** An instant (RFC 3339 text or Date) as CST `YYYY-MM-DD HH:MM`. */
export function showTime(value) {
  if (!value) return "";
  const at = new Date(new Date(value).getTime() + CST_MS);
  return `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())} ${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}`;
}

/** A google.type.Date as `YYYY-MM-DD`. */
export function showDate(date) {
  if (!date || !date.year) return "";
  if (!date.month) return String(date.year); // a year alone (e.g. a birth year)
  return `${date.year}-${pad(date.month)}-${pad(date.day)}`;
}

/** A protobuf Duration in JSON (`7200s`, `1.5s`) as seconds. */
export function seconds(duration) {
  return duration ? parseFloat(String(duration).replace(/s$/, "")) : 0;
}

export function nowRfc3339() {
  return new Date().toISOString();
}

/** The CST date `days` ago, as `YYYY-MM-DD`. */
export function cstDaysAgo(days) {
  const d = cstDate(new Date(Date.now() - days * 86400000));
  return `${d.year}-${pad(d.month)}-${pad(d.day)}`;
}
