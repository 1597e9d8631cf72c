// The console's sentences: msgid (English source) -> the reader's text, from /console/messages.json,
// which the gateway builds from the one message catalog. Kept for offline starts.
const KEY = "sgz.messages";
let messages = {};

export async function loadMessages() {
  try {
    const answer = await fetch("/console/messages.json", { headers: { Accept: "application/json" } });
    if (answer.ok) {
      messages = await answer.json();
      localStorage.setItem(KEY, JSON.stringify(messages));
      return;
    }
  } catch (_offline) { /* fall back to the copy kept last time */ }
  messages = JSON.parse(localStorage.getItem(KEY) || "{}");
}

/** The text of msgid with its {placeholders} filled in. */
export function t(msgid, params = {}) {
  const template = messages[msgid] ?? msgid;
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}
