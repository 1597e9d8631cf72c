// Charts as inline SVG, no library: horizontal bars with an optional marker per bar.
import { h } from "./dom.js";

const NS = "http://www.w3.org/2000/svg";

function s(tag, attrs = {}, ...children) {
  const element = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) element.setAttribute(k, String(v));
  for (const child of children) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return element;
}

/**
 * Horizontal bars. rows: [{label, value, max?, marker?, color?, text?}]; every bar is drawn against
 * `scale` (the largest value or marker when unset). `title` names the chart for screen readers;
 * the numbers are also in each bar's text.
 */
export function barChart(title, rows, { scale = 0, unit = "" } = {}) {
  const top = scale || Math.max(1, ...rows.map((r) => Math.max(r.value, r.marker || 0)));
  const labelW = 130, barW = 440, rowH = 26, width = labelW + barW + 170;
  const height = rows.length * rowH + 8;
  const svg = s("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title });
  svg.append(s("title", {}, title));
  rows.forEach((r, i) => {
    const y = 4 + i * rowH;
    const w = Math.max(0, Math.min(1, r.value / top)) * barW;
    svg.append(s("text", { x: labelW - 6, y: y + 16, "text-anchor": "end" }, r.label));
    svg.append(s("rect", { x: labelW, y: y + 3, width: barW, height: rowH - 8, fill: "#eef1f4" }));
    svg.append(s("rect", { x: labelW, y: y + 3, width: w, height: rowH - 8, fill: r.color || "#0b5cad" }));
    if (r.marker) {
      const mx = labelW + Math.min(1, r.marker / top) * barW;
      svg.append(s("line", { x1: mx, x2: mx, y1: y, y2: y + rowH - 2, stroke: "#b42318", "stroke-width": 2 }));
    }
    svg.append(s("text", { x: labelW + barW + 6, y: y + 16 }, r.text || `${r.value}${unit}`));
  });
  return h("figure", {}, h("figcaption", {}, title), svg);
}
