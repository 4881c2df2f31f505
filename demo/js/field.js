// Section 1: the gradient field of f(x) = xᵀAx. Everything reported comes from matcalc
// (grad, hessian, eigh, and vmap(grad) for the background arrows); the closed form (A + Aᵀ)x
// is computed separately in plain JavaScript so the two can be compared.
import { matrix, vector, tensor, grad, hessian, eigh, vmap } from "matcalc";
import { Plot, sampleGrid, paintField, contourPath, arrow, axes, gridLines, divMap, fmt, expo } from "./plot.js";
import { $, showVector, showMatrix, showScalar } from "./ui.js";

const VIEW = { x: [-2, 2], y: [-2, 2] };
const GRID = 160; // background / contour resolution (cells per side)
const QUIVER = 13; // background arrows per side
const LABEL_FONT = "600 12px system-ui, -apple-system, 'Segoe UI', 'Liberation Sans', sans-serif";

export function setupField() {
  const section = $("field");
  const canvas = /** @type {HTMLCanvasElement} */ ($("field-canvas"));
  const inputs = ["a11", "a12", "a21", "a22"].map((id) => /** @type {HTMLInputElement} */ ($(id)));
  const plot = new Plot(canvas, VIEW);
  const out = {
    x: $("field-x"), f: $("field-f"), ad: $("field-grad-ad"), cf: $("field-grad-cf"),
    diff: $("field-grad-diff"), hess: $("field-hess"), eig: $("field-eig"), note: $("field-note"),
  };

  let A = [[1.5, 1.2], [-0.4, 0.8]]; // rows
  let x = [0.9, 0.55];
  let updates = 0;
  /** Things that depend on A only: the sampled f, contour paths, background arrows. */
  let bg = null;
  /** The last numbers computed at x. */
  let cur = null;

  function readA() {
    const v = inputs.map((el) => Number(el.value));
    inputs.forEach((el, k) => el.classList.toggle("invalid", el.value.trim() === "" || !Number.isFinite(v[k])));
    if (v.some((a, k) => inputs[k].value.trim() === "" || !Number.isFinite(a))) return false;
    A = [[v[0], v[1]], [v[2], v[3]]];
    return true;
  }

  const fJs = (a, b) => A[0][0] * a * a + (A[0][1] + A[1][0]) * a * b + A[1][1] * b * b;

  function background() {
    const grid = sampleGrid(VIEW, GRID, fJs);
    let S = 0;
    for (const v of grid.values) S = Math.max(S, Math.abs(v));
    const degenerate = S < 1e-12;
    const tone = (v) => (degenerate ? 0.5 : 0.5 + 0.5 * Math.sign(v) * Math.sqrt(Math.abs(v) / S));
    const levels = new Path2D(), zero = new Path2D();
    if (!degenerate) {
      for (let k = 1; k <= 9; k++) {
        const c = S * (k / 9.5) ** 2;
        contourPath(plot, grid, c, levels);
        contourPath(plot, grid, -c, levels);
      }
      contourPath(plot, grid, 0, zero);
    }
    // The background arrows: ∇f at a grid of points in ONE batched call, vmap over columns.
    const pts = new Float64Array(2 * QUIVER * QUIVER);
    const h = (VIEW.x[1] - VIEW.x[0]) / QUIVER;
    for (let j = 0; j < QUIVER; j++) {
      for (let i = 0; i < QUIVER; i++) {
        const k = j * QUIVER + i;
        pts[2 * k] = VIEW.x[0] + (i + 0.5) * h; // column-major [2, N]: column k is point k
        pts[2 * k + 1] = VIEW.y[0] + (j + 0.5) * h;
      }
    }
    const At = matrix(A);
    const G = vmap(grad((p) => p.dot(At.matmul(p))), { inAxes: 1, outAxes: 1 })(tensor(pts, [2, QUIVER * QUIVER], { order: "col" })).data;
    bg = { grid, tone, levels, zero, degenerate, pts, G: Float64Array.from(G), h };
  }

  function compute() {
    const At = matrix(A);
    const f = (v) => v.dot(At.matmul(v)); // xᵀAx
    const xv = vector(x);
    const value = f(xv).item();
    const g = Array.from(grad(f)(xv).data);
    const H = hessian(f)(xv);
    const [w, V] = eigh(H);
    const Hrows = H.toArray();
    const Vr = V.toArray();
    const lam = Array.from(w.data);
    const vecs = [0, 1].map((j) => [Vr[0][j], Vr[1][j]]); // eigenvectors are V's columns
    // The closed form, in plain JavaScript.
    const cf = [
      (A[0][0] + A[0][0]) * x[0] + (A[0][1] + A[1][0]) * x[1],
      (A[1][0] + A[0][1]) * x[0] + (A[1][1] + A[1][1]) * x[1],
    ];
    const diff = Math.max(Math.abs(g[0] - cf[0]), Math.abs(g[1] - cf[1]));
    cur = { value, g, cf, diff, H: Hrows, lam, vecs };
  }

  function report() {
    const { value, g, cf, diff, H, lam } = cur;
    showVector(out.x, x);
    showScalar(out.f, value, fmt(value, 4));
    showVector(out.ad, g, 6);
    showVector(out.cf, cf, 6);
    showScalar(out.diff, diff, diff === 0 ? "0 (identical)" : expo(diff, 1));
    showMatrix(out.hess, H, 3);
    showVector(out.eig, lam, 3);
    out.note.textContent = bg.degenerate
      ? "A is skew-symmetric, so xᵀAx ≡ 0: only the symmetric part (A + Aᵀ)/2 of A matters."
      : lam[0] < -1e-12 && lam[1] > 1e-12
        ? "Indefinite Hessian: x = 0 is a saddle point."
        : lam[1] < -1e-12
          ? "Negative definite Hessian: x = 0 is a maximum."
          : Math.min(Math.abs(lam[0]), Math.abs(lam[1])) < 1e-12
            ? "Singular Hessian: f is flat along one direction."
            : "Positive definite Hessian: x = 0 is the minimum.";
    section.dataset.a = JSON.stringify(A);
    section.dataset.updates = String(++updates);
  }

  function draw() {
    const { ctx } = plot;
    plot.clear();
    paintField(plot, bg.grid, bg.tone, divMap);
    gridLines(plot, { step: 1 });
    ctx.save();
    ctx.lineWidth = 1;
    ctx.strokeStyle = "rgba(25, 35, 50, 0.22)";
    ctx.stroke(bg.levels);
    ctx.lineWidth = 1.4;
    ctx.strokeStyle = "rgba(25, 35, 50, 0.45)";
    ctx.setLineDash([5, 4]);
    ctx.stroke(bg.zero);
    ctx.restore();

    // Background arrows: direction of ∇f, opacity by magnitude.
    let gmax = 0;
    for (let k = 0; k < bg.G.length; k += 2) gmax = Math.max(gmax, Math.hypot(bg.G[k], bg.G[k + 1]));
    if (gmax > 1e-12) {
      const len = (bg.h / plot.unit) * 0.42;
      for (let k = 0; k < bg.G.length; k += 2) {
        const m = Math.hypot(bg.G[k], bg.G[k + 1]);
        if (m < 1e-9 * gmax) continue;
        const [cx, cy] = plot.px(bg.pts[k], bg.pts[k + 1]);
        const ux = bg.G[k] / m, uy = -bg.G[k + 1] / m;
        const a = 0.18 + 0.5 * Math.sqrt(m / gmax);
        arrow(ctx, cx - ux * len * 0.5, cy - uy * len * 0.5, cx + ux * len * 0.5, cy + uy * len * 0.5,
          { color: `rgba(30, 40, 60, ${a.toFixed(3)})`, width: 1.2, head: 5 });
      }
    }
    axes(plot, { step: 1 });

    const [px, py] = plot.px(x[0], x[1]);
    const { g, lam, vecs, value } = cur;
    const rho = Math.max(Math.abs(lam[0]), Math.abs(lam[1]));

    // The level curve through x.
    if (!bg.degenerate) {
      const level = contourPath(plot, bg.grid, value);
      ctx.save();
      ctx.lineWidth = 5;
      ctx.strokeStyle = "rgba(255, 255, 255, 0.75)";
      ctx.stroke(level);
      ctx.lineWidth = 2;
      ctx.strokeStyle = "#1b2333";
      ctx.stroke(level);
      ctx.restore();
    }

    if (rho > 1e-12) {
      // Eigen-directions of the Hessian, as bars through x scaled by λ/ρ.
      const L = 0.85 / plot.unit;
      const colors = ["#2f6fd6", "#8a3ffc"];
      vecs.forEach((v, i) => {
        const s = (L * Math.abs(lam[i])) / rho;
        if (s < 1) return;
        const dx = v[0] * s, dy = -v[1] * s;
        ctx.save();
        ctx.lineCap = "round";
        ctx.strokeStyle = "rgba(255,255,255,0.85)";
        ctx.lineWidth = 7;
        if (lam[i] < 0) ctx.setLineDash([8, 7]);
        ctx.beginPath();
        ctx.moveTo(px - dx, py - dy);
        ctx.lineTo(px + dx, py + dy);
        ctx.stroke();
        ctx.strokeStyle = colors[i];
        ctx.lineWidth = 3.5;
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = colors[i];
        for (const sg of [-1, 1]) {
          ctx.beginPath();
          ctx.arc(px + sg * dx, py + sg * dy, 3.5, 0, 2 * Math.PI);
          ctx.fill();
        }
        // Label at the end farther from the plot edge.
        const end = [px + dx, py + dy], other = [px - dx, py - dy];
        const inside = (p) => Math.min(p[0], p[1], plot.w - p[0], plot.h - p[1]);
        const [lx, ly] = inside(end) >= inside(other) ? end : other;
        const ox = lx - px, oy = ly - py, ol = Math.hypot(ox, oy) || 1;
        const text = `λ${i ? "₂" : "₁"} = ${fmt(lam[i], 2)}`;
        ctx.font = LABEL_FONT;
        // Beyond the bar's end, far enough along it that the text box clears the bar.
        const off = 10 + Math.abs(ox / ol) * ctx.measureText(text).width / 2 + Math.abs(oy / ol) * 7;
        label(ctx, text, lx + (ox / ol) * off, ly + (oy / ol) * off, colors[i], plot);
        ctx.restore();
      });

      // The gradient, drawn as ∇f / 2ρ(H) so that it mostly stays on the plot (|Hx|/ρ ≤ |x|).
      const gx = (g[0] / (2 * rho)) / plot.unit, gy = -(g[1] / (2 * rho)) / plot.unit;
      const gl = Math.hypot(gx, gy);
      if (gl > 2) {
        // The right angle between ∇f and the level curve's tangent.
        const ux = gx / gl, uy = gy / gl, tx = -uy, ty = ux, a = 11;
        ctx.save();
        ctx.strokeStyle = "#1b2333";
        ctx.lineWidth = 1.3;
        ctx.beginPath();
        ctx.moveTo(px + tx * a, py + ty * a);
        ctx.lineTo(px + tx * a + ux * a, py + ty * a + uy * a);
        ctx.lineTo(px + ux * a, py + uy * a);
        ctx.stroke();
        ctx.restore();
        arrow(ctx, px, py, px + gx, py + gy, { color: "rgba(255,255,255,0.9)", width: 7, head: 17 });
        arrow(ctx, px, py, px + gx, py + gy, { color: "#d1343f", width: 3.2, head: 14 });
      }
    }

    // The draggable point.
    ctx.save();
    ctx.shadowColor = "rgba(0,0,0,0.25)";
    ctx.shadowBlur = 6;
    ctx.fillStyle = "#fff";
    ctx.beginPath();
    ctx.arc(px, py, 9, 0, 2 * Math.PI);
    ctx.fill();
    ctx.shadowBlur = 0;
    ctx.fillStyle = "#1b2333";
    ctx.beginPath();
    ctx.arc(px, py, 5, 0, 2 * Math.PI);
    ctx.fill();
    ctx.restore();
  }

  function update() {
    compute();
    report();
    draw();
  }

  function setX(p) {
    const c = (v, [a, b]) => Math.min(b, Math.max(a, v));
    x = [c(p[0], VIEW.x), c(p[1], VIEW.y)];
    update();
  }

  function onA() {
    if (!readA()) return;
    background();
    update();
  }

  // Dragging: pointer down anywhere puts the point there, then it follows the pointer.
  let dragging = false;
  canvas.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    dragging = true;
    canvas.setPointerCapture(e.pointerId);
    canvas.classList.add("dragging");
    setX(plot.eventWorld(e));
    e.preventDefault();
  });
  canvas.addEventListener("pointermove", (e) => {
    if (dragging) setX(plot.eventWorld(e));
  });
  const stop = (e) => {
    if (!dragging) return;
    dragging = false;
    canvas.classList.remove("dragging");
    if (canvas.hasPointerCapture(e.pointerId)) canvas.releasePointerCapture(e.pointerId);
  };
  canvas.addEventListener("pointerup", stop);
  canvas.addEventListener("pointercancel", stop);
  canvas.addEventListener("keydown", (e) => {
    const d = e.shiftKey ? 0.2 : 0.05;
    const step = { ArrowLeft: [-d, 0], ArrowRight: [d, 0], ArrowUp: [0, d], ArrowDown: [0, -d] }[e.key];
    if (!step) return;
    e.preventDefault();
    setX([x[0] + step[0], x[1] + step[1]]);
  });

  for (const el of inputs) el.addEventListener("input", onA);
  $("field-presets").addEventListener("click", (e) => {
    const b = /** @type {HTMLElement} */ (e.target).closest("button[data-a]");
    if (!b) return;
    b.dataset.a.split(",").forEach((v, k) => { inputs[k].value = v; });
    onA();
  });

  new ResizeObserver(() => {
    if (plot.resize() && bg) {
      background(); // contour paths are in pixels
      draw();
    }
  }).observe(canvas);

  inputs.forEach((el, k) => { el.value = String(A[Math.floor(k / 2)][k % 2]); });
  onA();
}

/** A text label with a white halo, kept inside the plot. */
function label(ctx, text, x, y, color, plot) {
  ctx.save();
  ctx.font = LABEL_FONT;
  const w = ctx.measureText(text).width;
  const cx = Math.min(plot.w - w / 2 - 4, Math.max(w / 2 + 4, x));
  const cy = Math.min(plot.h - 10, Math.max(10, y));
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.lineWidth = 4;
  ctx.lineJoin = "round";
  ctx.strokeStyle = "rgba(255,255,255,0.92)";
  ctx.strokeText(text, cx, cy);
  ctx.fillStyle = color;
  ctx.fillText(text, cx, cy);
  ctx.restore();
}
