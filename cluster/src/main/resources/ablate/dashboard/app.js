"use strict";
// The ablate dashboard: four pages (cluster, runs, a run, a study) over one live feed of server-sent
// events (/api/events), read with fetch so the bearer token goes in a header, never in a URL. The
// token comes from the sign-in form or the URL fragment (#token=..., which never reaches a server),
// and is kept in this tab's sessionStorage only.
(() => {
  const TOKEN_KEY = "ablate-token";
  const main = document.getElementById("main");
  const feedLabel = document.getElementById("feed");
  let token = sessionStorage.getItem(TOKEN_KEY) || "";
  let page = null;
  let feed = null;
  let live = true;
  const eta = new Map();

  class Refused extends Error {}

  // ---- formatting -------------------------------------------------------------------------------
  const esc = s => String(s ?? "").replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  const isNum = v => typeof v === "number" && Number.isFinite(v);
  const num = (v, digits = 4) => (isNum(v) ? v.toFixed(digits) : "-");
  const pct = (v, digits = 1) => (isNum(v) ? (100 * v).toFixed(digits) + "%" : "-");
  const big = v => (!isNum(v) ? "-" : v >= 1e9 ? (v / 1e9).toFixed(2) + "B" : v >= 1e6 ? (v / 1e6).toFixed(2) + "M" : v >= 1e3 ? (v / 1e3).toFixed(1) + "k" : String(Math.round(v)));
  const duration = s => (!isNum(s) || s < 0 ? "-" : s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, "0")}` : `${Math.floor(s / 60)}:${String(Math.floor(s) % 60).padStart(2, "0")}`);
  const ago = iso => { const s = (Date.now() - Date.parse(iso)) / 1000; return isNum(s) ? (s < 1 ? "now" : s < 120 ? Math.round(s) + " s ago" : duration(s) + " ago") : "-"; };
  const runPath = name => name.split("/").map(encodeURIComponent).join("/");
  const runLink = name => `<a href="#/run/${runPath(name)}">${esc(name)}</a>`;
  const state = s => `<span class="state ${esc(s)}">${esc(s)}</span>`;
  const bar = (step, steps) => `<span class="bar"><span style="width:${steps > 0 ? Math.min(100, (100 * step) / steps).toFixed(1) : 0}%"></span></span> ${step}/${steps}`;
  const studyOf = name => (name.includes("/") ? name.slice(0, name.indexOf("/")) : "");

  /** Seconds left at the pace seen since the run was first seen running on this page. */
  function etaOf(run) {
    if (run.state !== "running") {
      eta.delete(run.name);
      return NaN;
    }
    const now = Date.now() / 1000;
    const seen = eta.get(run.name);
    if (!seen || run.step < seen.step) {
      eta.set(run.name, { t: now, step: run.step });
      return NaN;
    }
    return run.step > seen.step ? ((run.steps - run.step) * (now - seen.t)) / (run.step - seen.step) : NaN;
  }

  // ---- the token and the API ----------------------------------------------------------------------
  function takeTokenFromFragment() {
    const m = location.hash.match(/^#token=([^&]*)(?:&(.*))?$/);
    if (m) {
      token = decodeURIComponent(m[1]);
      sessionStorage.setItem(TOKEN_KEY, token);
      history.replaceState(null, "", location.pathname + "#" + (m[2] || "/cluster"));
    }
  }

  async function api(path, options = {}) {
    const response = await fetch(path, { ...options, headers: { ...(options.headers || {}), Authorization: "Bearer " + token } });
    if (response.status === 401) {
      signOut("The token was refused (401). Check it and sign in again.");
      throw new Refused("refused");
    }
    return response;
  }

  async function apiJson(path, options = {}) {
    const response = await api(path, options);
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || "HTTP " + response.status);
    return body;
  }

  function signOut(message) {
    token = "";
    sessionStorage.removeItem(TOKEN_KEY);
    closeFeed();
    page?.destroy();
    page = null;
    main.innerHTML = "";
    document.getElementById("login").hidden = false;
    document.getElementById("signout").hidden = true;
    document.getElementById("login-error").textContent = message;
    feedLabel.textContent = "signed out";
  }

  document.getElementById("login-form").addEventListener("submit", e => {
    e.preventDefault();
    token = document.getElementById("login-token").value.trim();
    sessionStorage.setItem(TOKEN_KEY, token);
    document.getElementById("login-token").value = "";
    route();
  });
  document.getElementById("signout").addEventListener("click", () => signOut(""));

  // ---- the live feed ------------------------------------------------------------------------------
  function closeFeed() {
    feed?.abort();
    feed = null;
  }

  function openFeed(params) {
    closeFeed();
    const control = new AbortController();
    feed = control;
    const query = new URLSearchParams(params).toString();
    (async () => {
      while (!control.signal.aborted) {
        try {
          const response = await api("/api/events" + (query ? "?" + query : ""), { signal: control.signal, headers: { Accept: "text/event-stream" } });
          if (!response.ok) throw new Error("HTTP " + response.status);
          const reader = response.body.getReader();
          const decoder = new TextDecoder();
          let buffer = "";
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += decoder.decode(value, { stream: true });
            let end;
            while ((end = buffer.indexOf("\n\n")) >= 0) {
              const frame = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              if (!control.signal.aborted) onFrame(frame);
            }
          }
          throw new Error("the feed ended");
        } catch (e) {
          if (control.signal.aborted || e instanceof Refused) return;
          feedLabel.textContent = "disconnected (" + e.message + "); retrying";
          feedLabel.classList.add("down");
          await new Promise(resolve => setTimeout(resolve, 2000));
        }
      }
    })();
  }

  function onFrame(frame) {
    let type = "message";
    let data = "";
    for (const line of frame.split("\n")) {
      if (line.startsWith("event:")) type = line.slice(6).trim();
      else if (line.startsWith("data:")) data += line.slice(5).replace(/^ /, "");
    }
    if (type !== "snapshot" || !data) return;
    const event = JSON.parse(data);
    live = event.live;
    if (event.error) {
      feedLabel.textContent = event.error;
      feedLabel.classList.add("down");
      return;
    }
    feedLabel.classList.remove("down");
    feedLabel.textContent = (live ? "live" : "read-only: folders") + " · " + new Date(event.time).toLocaleTimeString();
    page?.update(event);
  }

  // ---- run buttons ----------------------------------------------------------------------------------
  function buttons(run) {
    if (!live) return "";
    const b = (action, label, cls = "") => `<button type="button" class="${cls}" data-action="${action}" data-run="${esc(run.name)}">${label}</button>`;
    const out = [];
    if (run.state === "running" || run.state === "queued") out.push(b("pause", "pause"), b("checkpoint", "checkpoint"));
    if (["paused", "failed", "cancelled"].includes(run.state)) out.push(b("resume", "resume"));
    if (!["finished", "failed", "cancelled"].includes(run.state)) out.push(b("cancel", "cancel", "danger"));
    return out.join(" ");
  }

  main.addEventListener("click", async e => {
    const button = e.target.closest("button[data-action]");
    if (!button) return;
    const { action, run } = button.dataset;
    if (action === "cancel" && button.dataset.armed !== "yes") {
      button.dataset.armed = "yes";
      button.textContent = "really cancel?";
      return;
    }
    button.disabled = true;
    const notice = document.getElementById("notice");
    try {
      const answer = await apiJson(`/api/runs/${runPath(run)}/${action}`, { method: "POST" });
      if (notice) notice.textContent = `${action}: ${run} is ${answer.state}`;
    } catch (err) {
      if (notice && !(err instanceof Refused)) notice.textContent = `${action} of ${run} refused: ${err.message}`;
    }
  });

  // ---- pages ----------------------------------------------------------------------------------------
  function clusterPage() {
    main.innerHTML = `<h1>Cluster</h1><p id="mode" class="muted"></p><h2>Nodes</h2><div class="scroll"><table id="nodes"></table></div><h2>Runs</h2><div class="scroll"><table id="runs"></table></div><p id="notice" class="muted"></p>`;
    return {
      feed: {},
      update(event) {
        document.getElementById("mode").textContent = event.live ? `${event.nodes.length} nodes, ${event.runs.length} runs`
          : "ablate dashboard is reading folders: there is no live cluster, so no nodes.";
        const runOf = new Map();
        const slow = new Map();
        for (const r of event.runs) {
          for (const n of r.nodes) runOf.set(n, r);
          for (const [n, factor] of Object.entries(r.stragglers || {})) slow.set(n, factor);
        }
        document.getElementById("nodes").innerHTML = "<tr><th>node</th><th>role</th><th>device</th><th>host</th><th class=num>pid</th><th>state</th><th>run</th><th class=num>step</th><th>last heartbeat</th><th>straggler</th></tr>"
          + event.nodes.map(n => {
            const run = runOf.get(n.node);
            const factor = slow.get(n.node);
            return `<tr data-node="${esc(n.node)}"><td>${esc(n.node)}</td><td>${esc(n.role)}</td><td>${esc(n.device)}</td><td>${esc(n.host)}</td><td class=num>${n.pid || "-"}</td>`
              + `<td>${state(n.reachable ? n.state : "unreachable")}</td><td>${run ? runLink(run.name) : "-"}</td><td class=num>${run ? n.step : "-"}</td>`
              + `<td>${ago(n.last_heartbeat)}</td><td>${factor ? `<span class="flag">${factor.toFixed(1)}× slower</span>` : ""}</td></tr>`;
          }).join("");
        runsTable(document.getElementById("runs"), event.runs.filter(r => !["finished", "cancelled"].includes(r.state)));
      },
      destroy() {},
    };
  }

  function runsTable(table, runs) {
    table.innerHTML = "<tr><th>run</th><th>state</th><th>progress</th><th class=num>loss</th><th class=num>val loss</th><th class=num>tokens/s</th><th class=num>MFU</th><th class=num>ETA</th><th class=num>checkpoint</th><th class=num>restarts</th><th></th></tr>"
      + runs.map(r => `<tr data-run="${esc(r.name)}"><td>${runLink(r.name)}${studyOf(r.name) ? ` <a class="muted" href="#/study/${encodeURIComponent(studyOf(r.name))}">(study)</a>` : ""}</td>`
        + `<td>${state(r.state)}${r.error ? ` <span class="error" title="${esc(r.error)}">!</span>` : ""}</td><td>${bar(r.step, r.steps)}</td>`
        + `<td class=num>${num(r.loss)}</td><td class=num>${num(r.val_loss)}</td><td class=num>${big(r.tokens_per_s)}</td><td class=num>${pct(r.mfu)}</td>`
        + `<td class=num>${duration(etaOf(r))}</td><td class=num>${r.committed_step || "-"}</td><td class=num>${r.restarts}</td><td>${buttons(r)}</td></tr>`).join("")
      + (runs.length === 0 ? `<tr><td colspan=11 class="muted">no runs</td></tr>` : "");
  }

  function runsPage() {
    main.innerHTML = `<h1>Runs</h1><div class="scroll"><table id="runs"></table></div><p id="notice" class="muted"></p>`;
    return {
      feed: {},
      update(event) {
        runsTable(document.getElementById("runs"), event.runs);
      },
      destroy() {},
    };
  }

  function runPage(name) {
    main.innerHTML = `<h1>Run ${esc(name)} <span id="state"></span></h1><div class="summary" id="summary"></div><div id="actions"></div><p id="notice" class="muted"></p>
      <div class="charts"><div class="chart" id="chart-loss"></div><div class="chart" id="chart-lr"></div><div class="chart" id="chart-grad_norm"></div>
      <div class="chart" id="chart-tokens_per_s"></div><div class="chart" id="chart-loss_scale" hidden></div></div>
      <h2>Checkpoints</h2><table id="checkpoints"></table><h2>Zero-shot results</h2><div id="evals"></div><h2>Config (resolved)</h2><pre id="config"></pre>`;
    const curves = new Charts.RunCurves();
    const charts = {
      loss: new Charts.LineChart(document.getElementById("chart-loss"), "loss", "step", ["train", "validation"], { colors: ["#2e62c9", "#d9480f"], points: [false, true] }),
      lr: new Charts.LineChart(document.getElementById("chart-lr"), "learning rate", "step", ["lr"]),
      grad_norm: new Charts.LineChart(document.getElementById("chart-grad_norm"), "gradient norm (before clipping)", "step", ["grad norm"]),
      tokens_per_s: new Charts.LineChart(document.getElementById("chart-tokens_per_s"), "tokens/s", "step", ["tokens/s"]),
    };
    let scale = null;
    let seen = "";
    let detailsAt = 0;
    const draw = () => {
      charts.loss.setData(Charts.join([curves.train.series("loss"), curves.val.series("val_loss")]));
      for (const key of ["lr", "grad_norm", "tokens_per_s"]) charts[key].setData(curves.train.series(key));
      if (curves.has("loss_scale")) {
        const el = document.getElementById("chart-loss_scale");
        if (!scale) {
          el.hidden = false;
          scale = new Charts.LineChart(el, "loss scale (fp16)", "step", ["loss scale"], { logY: true });
        }
        scale.setData(curves.train.series("loss_scale"));
      }
    };
    const details = async () => {
      detailsAt = Date.now();
      try {
        const d = await apiJson(`/api/runs/${runPath(name)}/details`);
        document.getElementById("config").textContent = d.config;
        document.getElementById("checkpoints").innerHTML = "<tr><th class=num>step</th><th class=num>tokens</th><th class=num>size</th><th>written</th></tr>"
          + d.checkpoints.map(c => `<tr><td class=num>${c.step}</td><td class=num>${big(c.tokens)}</td><td class=num>${(c.bytes / 1048576).toFixed(1)} MiB</td><td>${esc(c.written ? new Date(c.written).toLocaleString() : "-")}</td></tr>`).join("")
          + (d.checkpoints.length === 0 ? "<tr><td colspan=4 class=muted>none committed yet</td></tr>" : "");
        document.getElementById("evals").innerHTML = evalTable(d.evals);
      } catch (e) {
        if (!(e instanceof Refused)) document.getElementById("notice").textContent = "details: " + e.message;
      }
    };
    return {
      feed: { run: name },
      update(event) {
        const run = event.runs.find(r => r.name === name);
        if (!run) {
          document.getElementById("summary").innerHTML = `<span class="error">no run named ${esc(name)}</span>`;
          return;
        }
        document.getElementById("state").innerHTML = state(run.state);
        document.getElementById("summary").innerHTML = [
          ["step", bar(run.step, run.steps)], ["loss", num(run.loss)], ["val loss", num(run.val_loss)], ["tokens/s", big(run.tokens_per_s)],
          ["MFU", pct(run.mfu)], ["ETA", duration(etaOf(run))], ["last checkpoint", run.committed_step || "-"], ["trainers", run.trainers],
          ["restarts", run.restarts],
        ].map(([label, value]) => `<div><b>${value}</b><span>${label}</span></div>`).join("") + (run.error ? `<div class="error">${esc(run.error)}</div>` : "");
        document.getElementById("actions").innerHTML = buttons(run);
        const log = event.logs[name];
        if (log?.reset) curves.reset();
        if (log?.lines?.length) curves.add(log.lines);
        if (log?.lines?.length || log?.reset) draw();
        const now = `${run.state}/${run.committed_step}`;
        if (now !== seen || Date.now() - detailsAt > 30000) {
          seen = now;
          details();
        }
      },
      resize() {
        Object.values(charts).concat(scale ? [scale] : []).forEach(c => c.resize());
      },
      destroy() {
        Object.values(charts).concat(scale ? [scale] : []).forEach(c => c.destroy());
      },
    };
  }

  function evalTable(evals) {
    if (evals.length === 0) return `<p class="muted">no checkpoint scored yet</p>`;
    const tasks = [...new Set(evals.flatMap(e => Object.keys(e.tasks || {})))].sort();
    return "<table><tr><th class=num>step</th><th class=num>tokens</th><th class=num>avg acc</th>" + tasks.map(t => `<th class=num>${esc(t)}</th>`).join("") + "</tr>"
      + evals.map(e => `<tr><td class=num>${e.step}</td><td class=num>${big(e.tokens)}</td><td class=num>${pct(e.avg_acc)}${isNum(e.avg_acc_stderr) ? " ± " + pct(e.avg_acc_stderr) : ""}</td>`
        + tasks.map(t => { const s = e.tasks?.[t]; return `<td class=num title="${esc(s?.metric)}">${s ? pct(s.value) + (isNum(s.stderr) ? " ± " + pct(s.stderr) : "") : "-"}</td>`; }).join("")
        + (e.error ? `<td class="error">${esc(e.error)}</td>` : "") + "</tr>").join("") + "</table>";
  }

  function studyPage(study) {
    main.innerHTML = `<h1>Study ${esc(study)}</h1>
      <p><button type="button" id="report">open the report</button>
      <form class="inline" id="plan-form">plan for <input id="plan-hours" value="1000000" size="9" aria-label="GPU-hours"> GPU-hours of
      <select id="plan-gpu"><option>a100-80gb</option><option>a100-40gb</option><option>h100-80gb</option><option>h200-141gb</option><option>v100-32gb</option><option>l40s-48gb</option></select>
      <button type="submit">ablate plan --study</button></form></p><p id="notice" class="muted"></p>
      <div class="scroll"><table id="runs"></table></div>
      <div class="charts" style="margin-top:14px"><div class="chart" id="chart-loss"></div><div class="chart" id="chart-val"></div><div class="chart" id="chart-acc"></div></div>
      <h2>Results</h2><div id="results" class="muted">no variant scored yet</div><pre id="plan" hidden></pre>`;
    const curves = new Map();
    const evals = new Map();
    let names = [];
    let charts = [];
    let seen = "";
    let resultsAt = 0;
    const rebuild = () => {
      charts.forEach(c => c.destroy());
      const variants = names.map(n => n.slice(study.length + 1));
      charts = [
        new Charts.LineChart(document.getElementById("chart-loss"), "training loss", "step", variants),
        new Charts.LineChart(document.getElementById("chart-val"), "validation loss", "step", variants, { points: true }),
        new Charts.LineChart(document.getElementById("chart-acc"), "average zero-shot accuracy", "tokens", variants, { points: true }),
      ];
    };
    const draw = () => {
      charts[0].setData(Charts.join(names.map(n => curves.get(n).train.series("loss"))));
      charts[1].setData(Charts.join(names.map(n => curves.get(n).val.series("val_loss"))));
      charts[2].setData(Charts.join(names.map(n => {
        const e = (evals.get(n) || []).filter(x => isNum(x.avg_acc));
        return [e.map(x => x.tokens), e.map(x => x.avg_acc)];
      })));
    };
    const refresh = async () => {
      resultsAt = Date.now();
      try {
        for (const n of names) evals.set(n, (await apiJson(`/api/runs/${runPath(n)}/details`)).evals);
        const results = await apiJson(`/api/studies/${encodeURIComponent(study)}/results`);
        document.getElementById("results").innerHTML = resultsTable(results);
        draw();
      } catch (e) {
        if (!(e instanceof Refused)) document.getElementById("notice").textContent = "results: " + e.message;
      }
    };
    document.getElementById("report").addEventListener("click", async () => {
      try {
        const html = await (await api(`/api/studies/${encodeURIComponent(study)}/report`)).text();
        window.open(URL.createObjectURL(new Blob([html], { type: "text/html" })), "_blank", "noopener");
      } catch (e) {
        if (!(e instanceof Refused)) document.getElementById("notice").textContent = "report: " + e.message;
      }
    });
    document.getElementById("plan-form").addEventListener("submit", async e => {
      e.preventDefault();
      const q = new URLSearchParams({ gpu_hours: document.getElementById("plan-hours").value, gpu: document.getElementById("plan-gpu").value });
      const out = document.getElementById("plan");
      out.hidden = false;
      try {
        const response = await api(`/api/studies/${encodeURIComponent(study)}/plan?${q}`);
        out.textContent = response.ok ? await response.text() : (await response.json()).error;
      } catch (err) {
        if (!(err instanceof Refused)) out.textContent = err.message;
      }
    });
    return {
      feed: { study },
      update(event) {
        const runs = event.runs.filter(r => r.name.startsWith(study + "/"));
        runsTable(document.getElementById("runs"), runs);
        const now = runs.map(r => r.name);
        if (now.join() !== names.join()) {
          names = now;
          for (const n of names) if (!curves.has(n)) curves.set(n, new Charts.RunCurves());
          rebuild();
        }
        let changed = false;
        for (const n of names) {
          const log = event.logs[n];
          if (log?.reset) curves.get(n).reset();
          if (log?.lines?.length) curves.get(n).add(log.lines);
          changed = changed || !!log?.lines?.length || !!log?.reset;
        }
        if (changed) draw();
        const at = runs.map(r => r.state + r.committed_step).join();
        if ((at !== seen && Date.now() - resultsAt > 3000) || Date.now() - resultsAt > 30000) {
          seen = at;
          refresh();
        }
      },
      resize() {
        charts.forEach(c => c.resize());
      },
      destroy() {
        charts.forEach(c => c.destroy());
      },
    };
  }

  function resultsTable(results) {
    const rows = results.variants.filter(v => isNum(v.avg_acc));
    if (rows.length === 0) return "no variant scored yet";
    const signed = v => (isNum(v) ? (v >= 0 ? "+" : "") + (100 * v).toFixed(1) : "-");
    return `<table><tr><th>variant</th><th class=num>avg acc ± stderr</th><th class=num>Δ vs base ± stderr</th><th class=num>p</th><th>verdict</th><th class=num>final val loss</th><th class=num>tokens/s</th><th class=num>tokens</th></tr>`
      + rows.map(v => `<tr><td>${esc(v.name)}${v.base ? " <span class=muted>(base)</span>" : ""}</td><td class=num>${pct(v.avg_acc)} ± ${pct(v.avg_acc_stderr)}</td>`
        + `<td class=num>${v.base ? "-" : signed(v.delta) + " ± " + pct(v.delta_stderr)}</td><td class=num>${num(v.p_value, 3)}</td>`
        + `<td class="${v.significant ? "flag" : "muted"}">${esc(v.verdict) || "-"}</td><td class=num>${num(v.final_val_loss)}</td><td class=num>${big(v.tokens_per_s)}</td><td class=num>${big(v.tokens)}</td></tr>`).join("")
      + "</table>";
  }

  // ---- routing --------------------------------------------------------------------------------------
  function route() {
    takeTokenFromFragment();
    if (!token) {
      signOut("");
      return;
    }
    document.getElementById("login").hidden = true;
    document.getElementById("signout").hidden = false;
    const [kind, ...rest] = location.hash.replace(/^#\/?/, "").split("/");
    const name = rest.map(decodeURIComponent).join("/");
    page?.destroy();
    main.innerHTML = "";
    page = kind === "runs" ? runsPage() : kind === "run" && name ? runPage(name) : kind === "study" && name ? studyPage(name) : clusterPage();
    for (const a of document.querySelectorAll("header nav a")) a.classList.toggle("active", a.dataset.page === (kind || "cluster"));
    feedLabel.textContent = "connecting…";
    openFeed(page.feed);
  }

  let resizing = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => page?.resize?.(), 150);
  });
  window.addEventListener("hashchange", route);
  route();
})();
