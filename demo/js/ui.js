// Small DOM helpers: readouts carry their full-precision numbers in data attributes (what the
// test reads), and show rounded ones.
import { fmt } from "./plot.js";

export const $ = (id) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`demo: #${id} is missing from index.html`);
  return el;
};

/** A vector readout: "(a, b)" on screen, data-values="[a,b]" at full precision. */
export function showVector(el, values, digits = 4) {
  el.dataset.values = JSON.stringify(Array.from(values));
  el.innerHTML = `<span class="vec">${Array.from(values).map((v) => `<span>${fmt(v, digits)}</span>`).join("")}</span>`;
}

/** A matrix readout (rows), as a small bracketed grid. */
export function showMatrix(el, rows, digits = 3) {
  el.dataset.values = JSON.stringify(rows);
  const cols = rows[0]?.length ?? 0;
  el.innerHTML = `<span class="mat" style="--cols:${cols}">${rows.flat().map((v) => `<span>${fmt(v, digits)}</span>`).join("")}</span>`;
}

/** A scalar readout. */
export function showScalar(el, value, text) {
  el.dataset.value = String(value);
  el.textContent = text;
}

/** Lets the browser paint (status text, a cleared table) before a long synchronous step. */
export const nextFrame = () => new Promise((ok) => requestAnimationFrame(() => setTimeout(ok, 0)));
