// Canvas helpers shared by the demo's plots: a world ↔ pixel view with device-pixel-ratio
// scaling, colour maps, a filled background, marching-squares contours and arrows.
// Plain JavaScript drawing only: every number the page reports comes from matcalc.

/** A square-ish canvas showing the world rectangle [x0, x1] × [y0, y1]. */
export class Plot {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{ x: [number, number], y: [number, number] }} view
   */
  constructor(canvas, view) {
    this.canvas = canvas;
    this.ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
    this.setView(view);
    this.w = 0;
    this.h = 0;
    this.resize();
  }

  setView(view) {
    this.view = { x: [...view.x], y: [...view.y] };
    this.canvas.dataset.view = JSON.stringify(this.view);
  }

  /** Matches the backing store to the CSS size × devicePixelRatio; true when it changed. */
  resize() {
    const r = this.canvas.getBoundingClientRect();
    const dpr = Math.min(window.devicePixelRatio || 1, 3);
    const w = Math.max(1, Math.round(r.width || this.canvas.width));
    const h = Math.max(1, Math.round(r.height || this.canvas.height));
    if (w === this.w && h === this.h && this.dpr === dpr) return false;
    this.w = w;
    this.h = h;
    this.dpr = dpr;
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(h * dpr);
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    return true;
  }

  /** World → CSS pixels (y up). */
  px(x, y) {
    const { x: [x0, x1], y: [y0, y1] } = this.view;
    return [((x - x0) / (x1 - x0)) * this.w, ((y1 - y) / (y1 - y0)) * this.h];
  }

  /** CSS pixels → world. */
  world(px, py) {
    const { x: [x0, x1], y: [y0, y1] } = this.view;
    return [x0 + (px / this.w) * (x1 - x0), y1 - (py / this.h) * (y1 - y0)];
  }

  /** World units per CSS pixel along x. */
  get unit() {
    return (this.view.x[1] - this.view.x[0]) / this.w;
  }

  /** Pointer event → world coordinates. */
  eventWorld(e) {
    const r = this.canvas.getBoundingClientRect();
    return this.world(((e.clientX - r.left) / r.width) * this.w, ((e.clientY - r.top) / r.height) * this.h);
  }

  clear() {
    this.ctx.clearRect(0, 0, this.w, this.h);
  }
}

/** Samples f on an (n+1) × (n+1) grid of the view; values[j * (n + 1) + i] at (x_i, y_j). */
export function sampleGrid(view, n, f) {
  const m = n + 1;
  const values = new Float64Array(m * m);
  const [x0, x1] = view.x, [y0, y1] = view.y;
  for (let j = 0; j < m; j++) {
    const y = y0 + ((y1 - y0) * j) / n;
    for (let i = 0; i < m; i++) values[j * m + i] = f(x0 + ((x1 - x0) * i) / n, y);
  }
  return { n, m, values, view };
}

// ---- colour maps ----

function hex(c) {
  const v = parseInt(c.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** Piecewise-linear colour map through the given stops, t ∈ [0, 1] → [r, g, b]. */
export function colormap(stops) {
  const cs = stops.map(hex);
  return (t) => {
    const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 1)) * (cs.length - 1);
    const k = Math.min(cs.length - 2, Math.floor(u));
    const a = cs[k], b = cs[k + 1], s = u - k;
    return [a[0] + (b[0] - a[0]) * s, a[1] + (b[1] - a[1]) * s, a[2] + (b[2] - a[2]) * s];
  };
}

/** Sequential: warm paper at the minimum, deepening to slate blue on the walls. */
export const seqMap = colormap(["#fffdf6", "#f4f1e1", "#dfe8d6", "#c2dad2", "#a0c4cf", "#82aac8", "#6c92bb"]);
/** Diverging: cool below zero, white at zero, warm above. */
export const divMap = colormap(["#35689f", "#6b97c9", "#a9c5e4", "#dfe9f3", "#fbfaf6", "#f7e3cc", "#f0bd90", "#e0936a", "#c46f4f"]);

/** Draws the grid's values as a smooth image, colour = cmap(tone(value)). */
export function paintField(plot, grid, tone, cmap) {
  const { m, values } = grid;
  const img = new ImageData(m, m);
  for (let j = 0; j < m; j++) {
    for (let i = 0; i < m; i++) {
      const [r, g, b] = cmap(tone(values[j * m + i]));
      const o = ((m - 1 - j) * m + i) * 4; // row 0 of the image is the top (largest y)
      img.data[o] = r;
      img.data[o + 1] = g;
      img.data[o + 2] = b;
      img.data[o + 3] = 255;
    }
  }
  const off = document.createElement("canvas");
  off.width = m;
  off.height = m;
  off.getContext("2d").putImageData(img, 0, 0);
  const { ctx } = plot;
  ctx.save();
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  // Grid points sit on cell centres of the image, so stretch half a cell past the edges.
  const cw = plot.w / (m - 1), ch = plot.h / (m - 1);
  ctx.drawImage(off, -cw / 2, -ch / 2, plot.w + cw, plot.h + ch);
  ctx.restore();
}

/**
 * Marching squares: the level set {f = c} of the sampled grid as a Path2D in CSS pixels
 * (segments joined per cell; the saddle case is resolved by the cell's centre value).
 */
export function contourPath(plot, grid, c, path = new Path2D()) {
  const { n, m, values, view } = grid;
  const [x0, x1] = view.x, [y0, y1] = view.y;
  const dx = (x1 - x0) / n, dy = (y1 - y0) / n;
  const P = (x, y) => plot.px(x, y);
  const lerp = (a, b) => (Math.abs(b - a) < 1e-300 ? 0.5 : (c - a) / (b - a));
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      const v00 = values[j * m + i], v10 = values[j * m + i + 1];
      const v01 = values[(j + 1) * m + i], v11 = values[(j + 1) * m + i + 1];
      const idx = (v00 > c ? 1 : 0) | (v10 > c ? 2 : 0) | (v11 > c ? 4 : 0) | (v01 > c ? 8 : 0);
      if (idx === 0 || idx === 15) continue;
      const x = x0 + i * dx, y = y0 + j * dy;
      // Edge crossings: bottom, right, top, left.
      const e = [
        () => P(x + lerp(v00, v10) * dx, y),
        () => P(x + dx, y + lerp(v10, v11) * dy),
        () => P(x + lerp(v01, v11) * dx, y + dy),
        () => P(x, y + lerp(v00, v01) * dy),
      ];
      const seg = (a, b) => {
        const [ax, ay] = e[a](), [bx, by] = e[b]();
        path.moveTo(ax, ay);
        path.lineTo(bx, by);
      };
      const centre = (v00 + v10 + v01 + v11) / 4 > c;
      switch (idx) {
        case 1: case 14: seg(3, 0); break;
        case 2: case 13: seg(0, 1); break;
        case 3: case 12: seg(3, 1); break;
        case 4: case 11: seg(1, 2); break;
        case 6: case 9: seg(0, 2); break;
        case 7: case 8: seg(3, 2); break;
        case 5: if (centre) { seg(3, 2); seg(0, 1); } else { seg(3, 0); seg(1, 2); } break;
        case 10: if (centre) { seg(3, 0); seg(1, 2); } else { seg(3, 2); seg(0, 1); } break;
      }
    }
  }
  return path;
}

/** An arrow from (ax, ay) to (bx, by) in CSS pixels. */
export function arrow(ctx, ax, ay, bx, by, { color = "#111", width = 2.5, head = 11 } = {}) {
  const dx = bx - ax, dy = by - ay, len = Math.hypot(dx, dy);
  if (len < 0.5) return;
  const ux = dx / len, uy = dy / len;
  const h = Math.min(head, len * 0.6);
  ctx.save();
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.lineWidth = width;
  ctx.lineCap = "round";
  ctx.beginPath();
  ctx.moveTo(ax, ay);
  ctx.lineTo(bx - ux * h * 0.8, by - uy * h * 0.8);
  ctx.stroke();
  ctx.beginPath();
  ctx.moveTo(bx, by);
  ctx.lineTo(bx - ux * h - uy * h * 0.45, by - uy * h + ux * h * 0.45);
  ctx.lineTo(bx - ux * h + uy * h * 0.45, by - uy * h - ux * h * 0.45);
  ctx.closePath();
  ctx.fill();
  ctx.restore();
}

/** Axis ticks and labels along the bottom and left edges, drawn inside the plot. */
export function axes(plot, { step = 1, color = "rgba(20, 30, 45, 0.72)" } = {}) {
  const { ctx, view } = plot;
  ctx.save();
  ctx.font = "11px system-ui, -apple-system, 'Segoe UI', 'Liberation Sans', sans-serif";
  ctx.fillStyle = color;
  ctx.strokeStyle = "rgba(255, 255, 255, 0.5)";
  ctx.lineWidth = 2.5;
  ctx.lineJoin = "round";
  const fmt = (v) => (Math.abs(v) < 1e-9 ? "0" : String(+v.toFixed(2)).replace("-", "−"));
  const text = (t, x, y) => {
    ctx.strokeText(t, x, y);
    ctx.fillText(t, x, y);
  };
  for (let v = Math.ceil(view.x[0] / step) * step; v <= view.x[1] + 1e-9; v += step) {
    const [px] = plot.px(v, 0);
    if (px < 6 || px > plot.w - 6) continue;
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    text(fmt(v), px, plot.h - 4);
  }
  for (let v = Math.ceil(view.y[0] / step) * step; v <= view.y[1] + 1e-9; v += step) {
    const [, py] = plot.px(0, v);
    if (py < 8 || py > plot.h - 18) continue;
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    text(fmt(v), 5, py);
  }
  ctx.restore();
}

/** Light grid lines through the integer (or `step`) coordinates and darker axes through 0. */
export function gridLines(plot, { step = 1 } = {}) {
  const { ctx, view } = plot;
  ctx.save();
  ctx.lineWidth = 1;
  for (let v = Math.ceil(view.x[0] / step) * step; v <= view.x[1] + 1e-9; v += step) {
    const [px] = plot.px(v, 0);
    ctx.strokeStyle = Math.abs(v) < 1e-9 ? "rgba(20, 30, 45, 0.28)" : "rgba(20, 30, 45, 0.07)";
    ctx.beginPath();
    ctx.moveTo(Math.round(px) + 0.5, 0);
    ctx.lineTo(Math.round(px) + 0.5, plot.h);
    ctx.stroke();
  }
  for (let v = Math.ceil(view.y[0] / step) * step; v <= view.y[1] + 1e-9; v += step) {
    const [, py] = plot.px(0, v);
    ctx.strokeStyle = Math.abs(v) < 1e-9 ? "rgba(20, 30, 45, 0.28)" : "rgba(20, 30, 45, 0.07)";
    ctx.beginPath();
    ctx.moveTo(0, Math.round(py) + 0.5);
    ctx.lineTo(plot.w, Math.round(py) + 0.5);
    ctx.stroke();
  }
  ctx.restore();
}

// ---- number formatting ----

/** A number for display: fixed digits, a real minus sign, no "-0". */
export function fmt(v, digits = 4) {
  if (!Number.isFinite(v)) return String(v);
  const s = (Math.abs(v) < 0.5 * 10 ** -digits ? 0 : v).toFixed(digits);
  return s.replace("-", "−");
}

/** Scientific notation for errors and tiny values, "0" for exact zeros. */
export function sci(v, digits = 1) {
  if (v === 0) return "0";
  if (!Number.isFinite(v)) return String(v);
  const [m, e] = v.toExponential(digits).split("e");
  const ex = Number(e);
  const sup = String(Math.abs(ex)).replace(/\d/g, (d) => "⁰¹²³⁴⁵⁶⁷⁸⁹"[Number(d)]);
  return `${m.replace("-", "−")}×10${ex < 0 ? "⁻" : ""}${sup}`;
}

/** Compact scientific notation for monospaced readouts: "4.4e−16", "0" for exact zeros. */
export function expo(v, digits = 1) {
  if (v === 0) return "0";
  if (!Number.isFinite(v)) return String(v);
  const [m, e] = v.toExponential(digits).split("e");
  return `${m}e${e.replace("+", "")}`.replace(/-/g, "−");
}

/** Milliseconds for display. */
export function ms(t) {
  if (t >= 100) return `${t.toFixed(0)} ms`;
  if (t >= 1) return `${t.toFixed(2)} ms`;
  return `${(t * 1000).toFixed(t >= 0.01 ? 0 : 1)} µs`;
}
