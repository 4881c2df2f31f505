// Section 2: an optimizer race. Each method of matcalc/optim's minimize runs from the same
// start; a callback records every iterate, and the paths are replayed on the contour plot.
import { vector, matrix } from "matcalc";
import { minimize } from "matcalc/optim";
import { Plot, sampleGrid, paintField, contourPath, axes, seqMap, fmt, sci, expo, ms } from "./plot.js";
import { $, nextFrame } from "./ui.js";

export const METHODS = [
  { id: "gd", label: "GD", color: "#d1343f", note: "gradient descent" },
  { id: "bfgs", label: "BFGS", color: "#2f6fd6", note: "dense inverse-Hessian update" },
  { id: "lbfgs", label: "L-BFGS", color: "#0e9f8f", note: "limited memory, m = 10" },
  { id: "newton", label: "Newton", color: "#8a3ffc", note: "dense Hessian, line search" },
  { id: "trust-ncg", label: "Trust region", color: "#e07b00", note: "trust-ncg: Steihaug CG on Hessian-vector products" },
];

// x₁ and x₂ of a 2-vector, as 1-element tensors (so the functions read like the formulas).
const parts = (x) => [x.slice([0], [1]), x.slice([1], [1])];

// The badly scaled quadratic: ½ xᵀQx with Q = R diag(100, 1) Rᵀ, R a rotation by 35°.
const TH = (35 * Math.PI) / 180;
const C = Math.cos(TH), S = Math.sin(TH);
const Q = [[100 * C * C + S * S, 99 * C * S], [99 * C * S, 100 * S * S + C * C]];

export const PROBLEMS = {
  rosenbrock: {
    title: "f(x) = 100 (x₂ − x₁²)² + (1 − x₁)²",
    view: { x: [-1.7, 1.7], y: [-0.8, 2.6] },
    step: 1,
    start: [-1.2, 1],
    minima: [[1, 1]],
    f: (x) => {
      const [a, b] = parts(x);
      return b.sub(a.square()).square().mul(100).add(a.sub(1).square()).sum();
    },
    js: (a, b) => 100 * (b - a * a) ** 2 + (1 - a) ** 2,
  },
  himmelblau: {
    title: "f(x) = (x₁² + x₂ − 11)² + (x₁ + x₂² − 7)²",
    view: { x: [-5.5, 5.5], y: [-5.5, 5.5] },
    step: 2,
    start: [0, 0],
    minima: [[3, 2], [-2.805118, 3.131312], [-3.77931, -3.283186], [3.584428, -1.848126]],
    f: (x) => {
      const [a, b] = parts(x);
      return a.square().add(b).sub(11).square().add(a.add(b.square()).sub(7).square()).sum();
    },
    js: (a, b) => (a * a + b - 11) ** 2 + (a + b * b - 7) ** 2,
  },
  quadratic: {
    title: "f(x) = ½ xᵀQx,  Q = R diag(100, 1) Rᵀ  (κ = 100)",
    view: { x: [-2, 2], y: [-2, 2] },
    step: 1,
    start: [-1.6, 0.6],
    minima: [[0, 0]],
    f: (x) => x.dot(matrix(Q).matmul(x)).mul(0.5),
    js: (a, b) => 0.5 * (Q[0][0] * a * a + 2 * Q[0][1] * a * b + Q[1][1] * b * b),
  },
};

export function setupRace() {
  const section = $("race");
  const canvas = /** @type {HTMLCanvasElement} */ ($("race-canvas"));
  const convCanvas = /** @type {HTMLCanvasElement} */ ($("race-conv"));
  const select = /** @type {HTMLSelectElement} */ ($("race-problem"));
  const runBtn = /** @type {HTMLButtonElement} */ ($("race-run"));
  const tbody = $("race-table").querySelector("tbody");
  const legend = $("race-legend");
  const note = $("race-note");
  const startHint = $("race-start");
  const formula = $("race-formula");

  let key = select.value;
  let problem = PROBLEMS[key];
  let start = [...problem.start];
  const plot = new Plot(canvas, problem.view);
  const conv = new Plot(convCanvas, { x: [0, 1], y: [0, 1] });
  let bg = null;
  /** @type {null | { method: typeof METHODS[number], path: number[][], values: number[], result: any, ms: number, error?: string }[]} */
  let runs = null;
  let shown = Infinity; // iterations replayed so far (the animation's clock)
  let anim = 0;
  let runId = 0;

  legend.innerHTML = METHODS.map((m) =>
    `<span data-method="${m.id}"><i class="swatch" style="--c:${m.color}"></i>${m.label} <b class="live"></b></span>`).join("");

  function background() {
    const grid = sampleGrid(problem.view, 180, problem.js);
    let lo = Infinity, hi = -Infinity;
    for (const v of grid.values) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    const t = (v) => Math.log1p(Math.max(0, v - lo)) / Math.log1p(hi - lo);
    const levels = new Path2D();
    // Levels evenly spaced in log(1 + f − min): dense near the minimum, sparse on the walls.
    for (let k = 1; k <= 16; k++) contourPath(plot, grid, lo + Math.expm1((k / 17) * Math.log1p(hi - lo)), levels);
    bg = { grid, tone: t, levels };
  }

  function setProblem(k) {
    key = k;
    problem = PROBLEMS[k];
    start = [...problem.start];
    plot.setView(problem.view);
    background();
    formula.textContent = problem.title;
    section.dataset.problem = k;
    clearResults();
    draw();
  }

  function clearResults() {
    runs = null;
    cancelAnimationFrame(anim);
    section.dataset.state = "idle";
    section.dataset.anim = "idle";
    tbody.innerHTML = METHODS.map((m) =>
      `<tr data-method="${m.id}"><th><i class="swatch" style="--c:${m.color}"></i>${m.label}</th>${"<td></td>".repeat(9)}</tr>`).join("");
    for (const b of legend.querySelectorAll(".live")) {
      b.textContent = "";
      b.classList.remove("done");
    }
    startHint.textContent = `start (${fmt(start[0], 2)}, ${fmt(start[1], 2)}) · click the plot to move it`;
    note.textContent = "Press Run.";
    drawConv();
  }

  function draw() {
    const { ctx } = plot;
    plot.clear();
    paintField(plot, bg.grid, bg.tone, seqMap);
    ctx.save();
    ctx.lineWidth = 1;
    ctx.strokeStyle = "rgba(25, 40, 55, 0.20)";
    ctx.stroke(bg.levels);
    ctx.restore();
    axes(plot, { step: problem.step });

    for (const [mx, my] of problem.minima) {
      const [px, py] = plot.px(mx, my);
      star(ctx, px, py, 8, "#ffffff", "#1b2333");
    }

    if (runs) {
      const visible = runs.filter((r) => r.path.length).map((r) => {
        const k = Math.min(r.path.length, Math.max(1, Math.floor(shown) + 1));
        return { r, pts: r.path.slice(0, k).map(([a, b]) => plot.px(a, b)) };
      });
      // Three passes so that no path hides another's dots: white halos, lines (GD, the
      // longest, on top and thinnest), then dots and end points.
      const line = (pts) => {
        ctx.beginPath();
        pts.forEach(([a, b], i) => (i ? ctx.lineTo(a, b) : ctx.moveTo(a, b)));
      };
      ctx.save();
      ctx.lineJoin = "round";
      ctx.lineCap = "round";
      for (const { pts } of visible) {
        ctx.strokeStyle = "rgba(255,255,255,0.75)";
        ctx.lineWidth = 4.5;
        line(pts);
        ctx.stroke();
      }
      for (const { r, pts } of [...visible].reverse()) {
        ctx.strokeStyle = r.method.color;
        ctx.lineWidth = r.path.length > 400 ? 1.4 : 2.2;
        line(pts);
        ctx.stroke();
      }
      for (const { r, pts } of visible) {
        ctx.fillStyle = r.method.color;
        // One dot per iterate while they are few enough to tell apart.
        if (r.path.length <= 400) {
          for (const [a, b] of pts) {
            ctx.beginPath();
            ctx.arc(a, b, 2.7, 0, 2 * Math.PI);
            ctx.fill();
          }
        }
      }
      for (const { r, pts } of visible) {
        const [ex, ey] = pts[pts.length - 1];
        ctx.fillStyle = "#fff";
        ctx.beginPath();
        ctx.arc(ex, ey, 5.5, 0, 2 * Math.PI);
        ctx.fill();
        ctx.fillStyle = r.method.color;
        ctx.beginPath();
        ctx.arc(ex, ey, 3.8, 0, 2 * Math.PI);
        ctx.fill();
      }
      ctx.restore();
    }

    // The start.
    const [sx, sy] = plot.px(start[0], start[1]);
    ctx.save();
    ctx.fillStyle = "#fff";
    ctx.strokeStyle = "#1b2333";
    ctx.lineWidth = 2.2;
    ctx.beginPath();
    ctx.arc(sx, sy, 6.5, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
    ctx.restore();
  }

  /** f − f* against iteration, both on log scales (f* = 0 for all three problems). */
  function drawConv() {
    conv.resize();
    const { ctx } = conv;
    const W = conv.w, H = conv.h;
    const pad = { l: 46, r: 16, t: 12, b: 26 };
    ctx.clearRect(0, 0, W, H);
    const maxIter = runs ? Math.max(10, ...runs.map((r) => r.values.length - 1)) : 1000;
    const lx = (i) => pad.l + (Math.log10(i + 1) / Math.log10(maxIter + 1)) * (W - pad.l - pad.r);
    const yTop = 4, yBot = -16;
    const ly = (v) => pad.t + ((yTop - Math.log10(Math.max(v, 1e-16))) / (yTop - yBot)) * (H - pad.t - pad.b);
    ctx.save();
    ctx.font = "10.5px system-ui, -apple-system, 'Segoe UI', 'Liberation Sans', sans-serif";
    ctx.fillStyle = "rgba(20,30,45,0.6)";
    ctx.strokeStyle = "rgba(20,30,45,0.08)";
    ctx.lineWidth = 1;
    for (let e = yTop; e >= yBot; e -= 4) {
      const y = Math.round(ly(10 ** e)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(pad.l, y);
      ctx.lineTo(W - pad.r, y);
      ctx.stroke();
      ctx.textAlign = "right";
      ctx.textBaseline = "middle";
      ctx.fillText(e === 0 ? "1" : sci(10 ** e, 0).replace(/^1×/, ""), pad.l - 6, y);
    }
    // x = log10(1 + iteration): iteration 0 (the start) sits on the left edge.
    for (const it of [0, 10, 100, 1000, 10000]) {
      if (it > maxIter) break;
      const x = Math.round(lx(it)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, pad.t);
      ctx.lineTo(x, H - pad.b);
      ctx.stroke();
      ctx.textAlign = "center";
      ctx.textBaseline = "top";
      ctx.fillText(String(it), x, H - pad.b + 5);
    }
    if (runs) {
      for (const r of runs) {
        const k = Math.min(r.values.length, Math.max(1, Math.floor(shown) + 1));
        ctx.strokeStyle = r.method.color;
        ctx.lineWidth = 1.8;
        ctx.lineJoin = "round";
        ctx.beginPath();
        for (let i = 0; i < k; i++) {
          const x = lx(i), y = ly(r.values[i]);
          i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
        }
        ctx.stroke();
      }
    }
    ctx.restore();
  }

  function fillRow(r) {
    const tr = tbody.querySelector(`tr[data-method="${r.method.id}"]`);
    const res = r.result;
    if (!res) {
      tr.dataset.error = r.error;
      tr.innerHTML = `<th><i class="swatch" style="--c:${r.method.color}"></i>${r.method.label}</th><td colspan="9" class="bad">${r.error}</td>`;
      return;
    }
    const xs = Array.from(res.x.data);
    Object.assign(tr.dataset, {
      iterations: String(res.iterations),
      fEvals: String(res.evaluations.f),
      gradEvals: String(res.evaluations.grad),
      hvpEvals: String(res.evaluations.hvp),
      hessianEvals: String(res.evaluations.hessian),
      value: String(res.value),
      x: JSON.stringify(xs),
      converged: String(res.converged),
      status: res.status,
      ms: String(r.ms),
    });
    const cell = (field, text, cls = "") => `<td data-field="${field}" class="${cls}">${text}</td>`;
    tr.innerHTML = `<th><i class="swatch" style="--c:${r.method.color}"></i>${r.method.label}</th>` +
      cell("iterations", res.iterations) +
      cell("f", res.evaluations.f) +
      cell("grad", res.evaluations.grad) +
      cell("hvp", res.evaluations.hvp || "–", res.evaluations.hvp ? "" : "dim") +
      cell("hessian", res.evaluations.hessian || "–", res.evaluations.hessian ? "" : "dim") +
      cell("x", `(${fmt(xs[0], 4)}, ${fmt(xs[1], 4)})`, "mono") +
      cell("value", expo(res.value, 1), "mono") +
      cell("status", `<span class="pill ${res.converged ? "ok" : "bad"}" title="${res.message}">${res.converged ? "✓" : "✗"} ${res.status}</span>`) +
      cell("ms", ms(r.ms).replace(" ", "&nbsp;"));
  }

  async function run() {
    const id = ++runId;
    clearResults();
    section.dataset.state = "running";
    runBtn.disabled = true;
    select.disabled = true;
    const done = [];
    try {
      // Fast methods first; GD takes thousands of iterations on Rosenbrock.
      const order = ["newton", "trust-ncg", "bfgs", "lbfgs", "gd"];
      for (const mid of order) {
        const method = METHODS.find((m) => m.id === mid);
        note.textContent = `Running ${method.label}…`;
        await nextFrame();
        if (id !== runId) return;
        const path = [[...start]];
        const values = [problem.js(start[0], start[1])];
        const t0 = performance.now();
        let result = null, error;
        try {
          result = minimize(problem.f, vector(start), {
            method: mid,
            maxIterations: mid === "gd" ? 20000 : 1000,
            callback: (s) => {
              path.push([s.xFlat[0], s.xFlat[1]]);
              values.push(s.value);
            },
          });
        } catch (e) {
          error = String(e?.message ?? e);
          console.warn(`minimize(${mid}) threw`, e);
        }
        const r = { method, path, values, result, ms: performance.now() - t0, error };
        done.push(r);
        fillRow(r);
      }
    } finally {
      if (id === runId) {
        runBtn.disabled = false;
        select.disabled = false;
      }
    }
    runs = METHODS.map((m) => done.find((r) => r.method === m));
    section.dataset.state = "done";
    const total = runs.reduce((a, r) => a + r.ms, 0);
    note.textContent = `${runs.length} runs in ${ms(total)}. Each dot is one iteration recorded by the callback; ` +
      `counts are evaluations of f, ∇f, Hessian-vector products and dense Hessians, all from autodiff.`;
    animate(id);
  }

  /** Replays the paths: iteration k is shown at time t with k = N^(t/T), so slow methods lag visibly. */
  function animate(id) {
    const N = Math.max(...runs.map((r) => r.path.length));
    const T = 2600;
    const t0 = performance.now();
    section.dataset.anim = "running";
    const step = (now) => {
      if (id !== runId) return;
      const t = Math.min(1, (now - t0) / T);
      shown = t >= 1 ? Infinity : N ** t - 1;
      for (const r of runs) {
        const el = legend.querySelector(`[data-method="${r.method.id}"] .live`);
        const its = r.path.length - 1;
        const finished = shown >= its;
        el.textContent = String(finished ? its : Math.floor(shown));
        el.classList.toggle("done", finished);
      }
      draw();
      drawConv();
      if (t < 1) anim = requestAnimationFrame(step);
      else section.dataset.anim = "done";
    };
    anim = requestAnimationFrame(step);
  }

  canvas.addEventListener("click", (e) => {
    if (section.dataset.state === "running") return;
    const p = plot.eventWorld(e);
    start = [Math.round(p[0] * 100) / 100, Math.round(p[1] * 100) / 100];
    run();
  });
  runBtn.addEventListener("click", () => run());
  select.addEventListener("change", () => {
    setProblem(select.value);
    run();
  });

  const ro = new ResizeObserver(() => {
    const a = plot.resize(), b = conv.resize();
    if (a) background(); // contour paths are in pixels
    if (a || b) {
      draw();
      drawConv();
    }
  });
  ro.observe(canvas);
  ro.observe(convCanvas);

  setProblem(key);
}

function star(ctx, x, y, r, fill, stroke) {
  ctx.save();
  ctx.beginPath();
  for (let k = 0; k < 10; k++) {
    const a = -Math.PI / 2 + (k * Math.PI) / 5, rr = k % 2 ? r * 0.45 : r;
    ctx.lineTo(x + rr * Math.cos(a), y + rr * Math.sin(a));
  }
  ctx.closePath();
  ctx.fillStyle = fill;
  ctx.strokeStyle = stroke;
  ctx.lineWidth = 1.5;
  ctx.fill();
  ctx.stroke();
  ctx.restore();
}
