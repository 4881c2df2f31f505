// Section 3: identities from the matrix-calculus tables. The autodiff side is matcalc
// (grad / jacobian with a layout); the closed form is computed in plain JavaScript from the
// same random inputs, on arrays of rows, so the comparison is independent of the library.
import { randn, eye, grad, jacobian, trace, logdet, softmax } from "matcalc";
import { colormap, fmt, sci, ms } from "./plot.js";
import { $ } from "./ui.js";

// ---- plain-JS linear algebra on arrays of rows ----
const T = (A) => A[0].map((_, j) => A.map((r) => r[j]));
const mul = (A, B) => A.map((r) => B[0].map((_, j) => r.reduce((s, v, k) => s + v * B[k][j], 0)));
const sub = (A, B) => A.map((r, i) => r.map((v, j) => v - B[i][j]));
const scale = (A, s) => A.map((r) => r.map((v) => v * s));
const col = (v) => v.map((a) => [a]);
/** Gauss–Jordan inverse with partial pivoting. */
function inverse(A) {
  const n = A.length;
  const M = A.map((r, i) => [...r, ...r.map((_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    const d = M[c][c];
    for (let j = 0; j < 2 * n; j++) M[c][j] /= d;
    for (let r = 0; r < n; r++) {
      if (r === c || M[r][c] === 0) continue;
      const f = M[r][c];
      for (let j = 0; j < 2 * n; j++) M[r][j] -= f * M[c][j];
    }
  }
  return M.map((r) => r.slice(n));
}

/**
 * The identities. `inputs` draws tensors with matcalc's seeded randn; `ad` is the autodiff
 * side; `cf` the closed form on plain arrays (`rows` has every input as nested arrays).
 */
export const IDENTITIES = [
  {
    id: "trace", kind: "gradient", f: "f(X) = tr(AXB)", d: "∂f/∂X = AᵀBᵀ",
    shapes: (n) => `A, X, B: ${n}×${n}`,
    inputs: (n, s) => ({ A: randn([n, n], { seed: s }), X: randn([n, n], { seed: s + 1 }), B: randn([n, n], { seed: s + 2 }) }),
    code: "grad((X) => trace(A.matmul(X).matmul(B)))(X)",
    ad: ({ A, X, B }) => grad((X) => trace(A.matmul(X).matmul(B)))(X),
    cfCode: "mul(T(A), T(B))",
    cf: ({ A, B }) => mul(T(A), T(B)),
  },
  {
    id: "logdet", kind: "gradient", f: "f(X) = log det X", d: "∂f/∂X = X⁻ᵀ",
    shapes: (n) => `X = Z + 2√n·I: ${n}×${n} (det X > 0)`,
    inputs: (n, s) => ({ X: randn([n, n], { seed: s }).add(eye(n).mul(2 * Math.sqrt(n))) }),
    code: "grad((X) => logdet(X))(X)",
    ad: ({ X }) => grad((X) => logdet(X))(X),
    cfCode: "T(inverse(X))  // Gauss–Jordan",
    cf: ({ X }) => T(inverse(X)),
  },
  {
    id: "frobenius", kind: "gradient", f: "f(X) = ‖AX − B‖²_F", d: "∂f/∂X = 2Aᵀ(AX − B)",
    shapes: (n) => `A, X, B: ${n}×${n}`,
    inputs: (n, s) => ({ A: randn([n, n], { seed: s }), X: randn([n, n], { seed: s + 1 }), B: randn([n, n], { seed: s + 2 }) }),
    code: "grad((X) => A.matmul(X).sub(B).square().sum())(X)",
    ad: ({ A, X, B }) => grad((X) => A.matmul(X).sub(B).square().sum())(X),
    cfCode: "scale(mul(T(A), sub(mul(A, X), B)), 2)",
    cf: ({ A, X, B }) => scale(mul(T(A), sub(mul(A, X), B)), 2),
  },
  {
    id: "quadratic", kind: "gradient", f: "f(x) = xᵀAx", d: "∂f/∂x = (A + Aᵀ)x",
    shapes: (n) => `A: ${n}×${n}, x: ${n}`,
    inputs: (n, s) => ({ A: randn([n, n], { seed: s }), x: randn([n], { seed: s + 1 }) }),
    code: "grad((x) => x.dot(A.matmul(x)))(x)",
    ad: ({ A, x }) => grad((x) => x.dot(A.matmul(x)))(x),
    cfCode: "A·x + Aᵀ·x",
    cf: ({ A, x }) => {
      const Ax = mul(A, col(x)), Atx = mul(T(A), col(x));
      return Ax.map((r, i) => [r[0] + Atx[i][0]]);
    },
  },
  {
    id: "softmax", kind: "jacobian", f: "p = softmax(s)", d: "∂p/∂s = diag(p) − ppᵀ",
    shapes: (n) => `s: ${n}`,
    inputs: (n, s) => ({ s: randn([n], { seed: s }) }),
    code: (layout) => `jacobian(softmax${layout === "denominator" ? ", { layout: \"denominator\" }" : ""})(s)`,
    ad: ({ s }, layout) => jacobian(softmax, { layout })(s),
    cfCode: "diag(p) − p·pᵀ  (symmetric: both layouts agree)",
    cf: ({ s }) => {
      const m = Math.max(...s), e = s.map((v) => Math.exp(v - m)), z = e.reduce((a, b) => a + b, 0);
      const p = e.map((v) => v / z);
      return p.map((pi, i) => p.map((pj, j) => (i === j ? pi : 0) - pi * pj));
    },
  },
  {
    id: "linear", kind: "jacobian", f: "y = Ax", d: "∂y/∂x = A",
    shapes: (n) => `A: ${n + 1}×${n}, x: ${n}`,
    inputs: (n, s) => ({ A: randn([n + 1, n], { seed: s }), x: randn([n], { seed: s + 1 }) }),
    code: (layout) => `jacobian((x) => A.matmul(x)${layout === "denominator" ? ", { layout: \"denominator\" }" : ""})(x)`,
    ad: ({ A, x }, layout) => jacobian((x) => A.matmul(x), { layout })(x),
    cfCode: "A, or T(A) in denominator layout",
    cf: ({ A }, layout) => (layout === "denominator" ? T(A) : A),
  },
];

/** As rows: a vector becomes a column. */
const rowsOf = (t) => {
  const a = t.toArray();
  return t.shape.length === 1 ? col(a) : a;
};

/** Calls fn repeatedly for at least `budget` ms (after one warm-up call); mean ms per call. */
function timeIt(fn, budget = 25) {
  let out = fn();
  let reps = 0;
  const t0 = performance.now();
  let t = t0;
  do {
    out = fn();
    reps++;
    t = performance.now();
  } while (t - t0 < budget && reps < 2000);
  return { out, ms: (t - t0) / reps, reps };
}

const valueMap = colormap(["#1f4e89", "#4a7fc1", "#a9c6e6", "#f7f7f5", "#f1c7a4", "#d7713f", "#a8431f"]);
const errMap = colormap(["#fbfbf8", "#fde6c8", "#f7b267", "#e4572e", "#9b1d20"]);

export function setupExplorer() {
  const section = $("explorer");
  const select = /** @type {HTMLSelectElement} */ ($("explorer-expr"));
  const nInput = /** @type {HTMLInputElement} */ ($("explorer-n"));
  const seedInput = /** @type {HTMLInputElement} */ ($("explorer-seed"));
  const results = $("explorer-results");
  const layoutNote = $("explorer-layout-note");

  select.innerHTML = IDENTITIES.map((d) => `<option value="${d.id}">${d.kind === "jacobian" ? "Jacobian" : "gradient"} · ${d.f}  →  ${d.d}</option>`).join("");

  const layout = () => /** @type {HTMLInputElement} */ (section.querySelector("input[name=layout]:checked")).value;

  function run() {
    const def = IDENTITIES.find((d) => d.id === select.value);
    const n = Math.max(1, Math.min(40, Math.floor(Number(nInput.value) || 1)));
    nInput.value = String(n);
    const seed = Math.max(0, Math.floor(Number(seedInput.value) || 0));
    const lay = layout();
    const jac = def.kind === "jacobian";

    const inputs = def.inputs(n, seed * 101);
    const rows = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.toArray()]));
    const ad = timeIt(() => def.ad(inputs, lay));
    const cf = timeIt(() => def.cf(rows, lay));
    const adRows = rowsOf(ad.out);
    const cfRows = cf.out;
    let err = 0, big = 0;
    const shapeOk = adRows.length === cfRows.length && adRows[0].length === cfRows[0].length;
    const diff = shapeOk ? adRows.map((r, i) => r.map((v, j) => Math.abs(v - cfRows[i][j]))) : [[NaN]];
    for (const r of diff) for (const v of r) err = Math.max(err, v);
    for (const r of cfRows) for (const v of r) big = Math.max(big, Math.abs(v));
    if (!shapeOk) err = Infinity;

    $("explorer-formula").innerHTML = `
      <div class="eq"><span class="math">${def.f}</span><span class="arrow">⟶</span><span class="math">${def.d}</span></div>
      <div class="code"><span class="tag">autodiff</span><code>${typeof def.code === "function" ? def.code(lay) : def.code}</code></div>
      <div class="code"><span class="tag cf">closed form</span><code>${def.cfCode}</code></div>
      <div class="shapes">${def.shapes(n)} · inputs from <code>randn(shape, { seed })</code>, seeds ${seed * 101}, ${seed * 101 + 1}, …</div>`;
    layoutNote.textContent = jac
      ? lay === "numerator"
        ? `numerator layout: ${adRows.length} × ${adRows[0].length}, J[i][j] = ∂yᵢ/∂xⱼ`
        : `denominator layout: ${adRows.length} × ${adRows[0].length}, the transpose`
      : "a gradient has the input's shape in either layout";
    layoutNote.classList.toggle("dim", !jac);

    const errEl = $("explorer-error");
    errEl.dataset.value = String(err);
    errEl.textContent = err === 0 ? "0" : sci(err, 1);
    errEl.classList.toggle("bad", !(err < 1e-8));
    const relEl = $("explorer-rel");
    relEl.dataset.value = String(big > 0 ? err / big : err);
    relEl.textContent = `relative ${big > 0 ? sci(err / big, 1) : "–"}`;
    const tEl = $("explorer-time");
    tEl.dataset.value = String(ad.ms);
    tEl.textContent = ms(ad.ms);
    $("explorer-time-reps").textContent = `mean of ${ad.reps} calls`;
    const cEl = $("explorer-cf-time");
    cEl.dataset.value = String(cf.ms);
    cEl.textContent = ms(cf.ms);
    $("explorer-cf-reps").textContent = `mean of ${cf.reps} calls`;

    let vmax = 0;
    for (const r of [...adRows, ...cfRows]) for (const v of r) vmax = Math.max(vmax, Math.abs(v));
    results.innerHTML = "";
    results.append(
      preview("autodiff", jac ? `jacobian, ${lay}` : "grad", adRows, (v) => valueMap(0.5 + 0.5 * Math.sign(v) * Math.sqrt(Math.abs(v) / (vmax || 1))), (v) => fmt(v, 2)),
      preview("closed", "plain JS", cfRows, (v) => valueMap(0.5 + 0.5 * Math.sign(v) * Math.sqrt(Math.abs(v) / (vmax || 1))), (v) => fmt(v, 2)),
      preview("diff", "|autodiff − closed form|", diff, (v) => errMap(v === 0 ? 0 : Math.max(0.06, (Math.log10(v) + 17) / 9)), (v) => (v === 0 ? "0" : sci(v, 0))),
    );
    Object.assign(section.dataset, {
      state: "done", expr: def.id, n: String(n), seed: String(seed), layout: lay,
      key: `${def.id}|${n}|${seed}|${lay}`,
    });
  }

  /** One matrix as a heat map, numbers written in when the cells are big enough. */
  function preview(role, subtitle, rows, color, text) {
    const r = rows.length, c = rows[0].length;
    const fig = document.createElement("figure");
    fig.className = "preview";
    Object.assign(fig.dataset, { role, rows: String(r), cols: String(c), matrix: JSON.stringify(rows) });
    const cell = Math.max(5, Math.min(46, Math.floor(300 / Math.max(r, c))));
    const cv = document.createElement("canvas");
    const dpr = Math.min(window.devicePixelRatio || 1, 3);
    cv.width = c * cell * dpr;
    cv.height = r * cell * dpr;
    cv.style.width = `${c * cell}px`;
    cv.style.aspectRatio = `${c} / ${r}`;
    const ctx = cv.getContext("2d");
    ctx.scale(dpr, dpr);
    const numbers = cell >= 40;
    ctx.font = `${cell >= 44 ? 10.5 : 9.5}px ui-monospace, 'SF Mono', Menlo, 'DejaVu Sans Mono', monospace`;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    for (let i = 0; i < r; i++) {
      for (let j = 0; j < c; j++) {
        const [R, G, B] = color(rows[i][j]);
        ctx.fillStyle = `rgb(${R | 0},${G | 0},${B | 0})`;
        ctx.fillRect(j * cell, i * cell, cell, cell);
        if (numbers) {
          const lum = 0.299 * R + 0.587 * G + 0.114 * B;
          ctx.fillStyle = lum < 140 ? "#fff" : "#1b2333";
          ctx.fillText(text(rows[i][j]), j * cell + cell / 2, i * cell + cell / 2 + 0.5);
        }
      }
    }
    // Hairlines between cells.
    if (cell >= 8) {
      ctx.strokeStyle = "rgba(255,255,255,0.55)";
      ctx.lineWidth = 1;
      ctx.beginPath();
      for (let j = 1; j < c; j++) { ctx.moveTo(j * cell, 0); ctx.lineTo(j * cell, r * cell); }
      for (let i = 1; i < r; i++) { ctx.moveTo(0, i * cell); ctx.lineTo(c * cell, i * cell); }
      ctx.stroke();
    }
    const cap = document.createElement("figcaption");
    cap.innerHTML = `<b>${{ autodiff: "autodiff", closed: "closed form", diff: "difference" }[role]}</b><span>${subtitle}</span><span class="shape">${r} × ${c}</span>`;
    const box = document.createElement("div");
    box.className = "heat";
    box.append(cv);
    fig.append(cap, box);
    if (role === "diff") {
      const scale = document.createElement("div");
      scale.className = "scale";
      scale.innerHTML = "<span>0, 10⁻¹⁷</span><i></i><span>10⁻⁸ (log scale)</span>";
      fig.append(scale);
    }
    return fig;
  }

  select.addEventListener("change", run);
  nInput.addEventListener("change", run);
  seedInput.addEventListener("change", run);
  for (const r of section.querySelectorAll("input[name=layout]")) r.addEventListener("change", run);
  $("explorer-run").addEventListener("click", () => {
    seedInput.value = String(Math.max(0, Math.floor(Number(seedInput.value) || 0)) + 1);
    run();
  });
  run();
}
