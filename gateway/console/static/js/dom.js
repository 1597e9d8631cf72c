// Building elements without innerHTML, so names and notes from the data are never markup.

/** h("a", {href: "#/x", class: "c"}, "text", child, ...) */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") element.addEventListener(key.slice(2), value);
    else if (key === "class") element.className = value;
    else if (value === true) element.setAttribute(key, "");
    else element.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** Replaces the main area with a page: its title (h1) and body. */
export function page(title, ...body) {
  const main = document.getElementById("main");
  main.replaceChildren(h("h1", {}, title), ...body.flat(Infinity).filter((x) => x !== null && x !== undefined && x !== false));
  document.title = title;
  return main;
}

export function toast(text, ms = 4000) {
  const element = document.getElementById("toast");
  element.textContent = text;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { element.textContent = ""; }, ms);
}

/** The last part of a resource name: `persons/abc` -> `abc`. */
export function tail(name) {
  return String(name || "").split("/").pop();
}
