"use strict";
// Curves and charts of the dashboard, on uPlot (vendor/, MIT). A page left open for days must not grow:
// each series keeps at most MAX_POINTS; past it every other point goes and from then on only every
// stride-th step is kept, so the curve stays evenly sampled over the whole run.
const Charts = (() => {
  const MAX_POINTS = 3000;
  const WHOLE = Array.from({ length: 16 }, (_, e) => [1, 2, 5].map(m => m * 10 ** e)).flat();
  const PALETTE = ["#2e62c9", "#d9480f", "#2b8a3e", "#862e9c", "#c2255c", "#0b7285", "#5c940d", "#e67700"];

  /** Points of some metrics against one x (a step or a token count), bounded as above. */
  class Store {
    constructor(keys) {
      this.keys = keys;
      this.reset();
    }

    reset() {
      this.stride = 1;
      this.seen = 0;
      this.x = [];
      this.cols = {};
      for (const k of this.keys) this.cols[k] = [];
    }

    add(x, values) {
      this.seen++;
      // kept: the 1st, (1 + stride)th, (1 + 2 stride)th... point, the ones halve() keeps
      if ((this.seen - 1) % this.stride !== 0) return;
      this.x.push(x);
      for (const k of this.keys) this.cols[k].push(finite(values[k]));
      if (this.x.length > MAX_POINTS) this.halve();
    }

    halve() {
      const keep = (_, i) => i % 2 === 0;
      this.x = this.x.filter(keep);
      for (const k of this.keys) this.cols[k] = this.cols[k].filter(keep);
      this.stride *= 2;
    }

    series(key) {
      return [this.x, this.cols[key]];
    }
  }

  /** One run's curves from its metrics lines: training metrics at every (kept) step, validation loss where measured. */
  class RunCurves {
    constructor() {
      this.train = new Store(["loss", "lr", "grad_norm", "loss_scale", "tokens_per_s", "mfu"]);
      this.val = new Store(["val_loss"]);
      this.lastStep = 0;
    }

    reset() {
      this.train.reset();
      this.val.reset();
      this.lastStep = 0;
    }

    add(lines) {
      for (const line of lines) {
        this.train.add(line.step, line);
        if (line.val_loss != null) this.val.add(line.step, line);
        this.lastStep = line.step;
      }
    }

    has(key) {
      return this.train.cols[key].some(v => v != null);
    }
  }

  function finite(v) {
    return typeof v === "number" && Number.isFinite(v) ? v : null;
  }

  /** Tables [[x...], [y...]] with different x, on one x: what uPlot draws. */
  function join(tables) {
    if (tables.length === 0) return [[]];
    if (tables.length === 1) return tables[0];
    return uPlot.join(tables);
  }

  /**
   * A line chart in {@code el}: {@code names} label its series, {@code x} its horizontal axis. Its
   * element carries data-points (the points of its first series) for tests and screen readers.
   */
  class LineChart {
    constructor(el, title, x, names, options = {}) {
      this.el = el;
      this.names = names;
      el.innerHTML = "";
      el.dataset.points = "0";
      this.plot = new uPlot({
        title,
        width: Math.max(320, el.clientWidth - 16),
        height: 230,
        scales: { x: { time: false }, y: options.logY ? { distr: 3 } : {} },
        // steps and tokens are whole numbers: no ticks at step 2.5
        axes: [{ label: x, size: 40, incrs: WHOLE }, { size: 60 }],
        legend: { live: true },
        cursor: { drag: { x: true, y: false } },
        series: [{ label: x, value: (u, v) => (v == null ? "-" : fmtX(v)) }].concat(names.map((name, i) => ({
          label: name,
          stroke: options.colors?.[i] ?? PALETTE[i % PALETTE.length],
          width: 1.5,
          dash: options.dashed?.[i] ? [6, 4] : undefined,
          spanGaps: true,
          points: { show: Array.isArray(options.points) ? options.points[i] : options.points ?? false, size: 5 },
          value: (u, v) => (v == null ? "-" : v.toPrecision(4)),
        }))),
      }, [[]].concat(names.map(() => [])), el);
    }

    setData(data) {
      this.plot.setData(data);
      const x = data[0] ?? [];
      if (x.length === 1) {
        // one x (a lone validation point) is padded by uPlot into an axis far past the run's end: 0 to it
        this.plot.setScale("x", { min: Math.min(0, x[0]), max: x[0] > 0 ? x[0] : 1 });
      }
      const first = data[1] ?? [];
      this.el.dataset.points = String(first.filter(v => v != null).length);
    }

    resize() {
      this.plot.setSize({ width: Math.max(320, this.el.clientWidth - 16), height: 230 });
    }

    destroy() {
      this.plot.destroy();
    }
  }

  function fmtX(v) {
    return Math.abs(v) >= 1e6 ? (v / 1e6).toFixed(2) + "M" : String(Math.round(v));
  }

  return { Store, RunCurves, LineChart, join, PALETTE, MAX_POINTS };
})();
