// The glasslab dashboard page (docs/dashboard.md): the list of runs, one run's metadata, live
// status, charts and events, and its control. Plain JavaScript on uPlot, no build step: the
// server embeds this file as it is. Live data come over one WebSocket per run
// (/api/runs/{id}/live), starting from the cursors of the initial REST loads, so nothing is
// missed or sent twice.
'use strict';

const glasslab = (window.glasslab = {
  charts: {},        // uPlot instances by name (the browser test reads their data)
  latencies: [],     // ms from each stage reading's logging to its display, for the latency figure
  liveStageRows: 0,  // stage readings received over the socket
  firstChartMs: null // ms from navigation start to the first stage chart drawn
});

const palette = ['#1f6feb', '#d9480f', '#2b8a3e', '#9c36b5', '#e67700', '#0b7285', '#c2255c', '#5c940d', '#495057'];
const $ = (id) => document.getElementById(id);

let state = null;  // the run shown: detail, series, cursors, socket

function fmt(value, digits) {
  return value === null || value === undefined || Number.isNaN(value) ? '–' : Number(value).toFixed(digits);
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${s} s`;
}

async function getJson(url) {
  const response = await fetch(url, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

function setPill(element, text, kind) {
  element.textContent = text;
  element.className = `pill ${kind || text}`;
}

// ------------------------------------------------------------------------------------------
// Runs list

async function loadRuns() {
  let runs;
  try {
    runs = await getJson('/api/runs');
  } catch (e) {
    return;
  }
  const list = $('run-list');
  list.replaceChildren();
  for (const run of runs) {
    const item = document.createElement('li');
    item.dataset.run = run.id;
    if (state && state.id === run.id) item.classList.add('selected');
    const title = run.title || run.schedule_path.split('/').pop() || 'run';
    item.innerHTML = `<span class="run-id">#${run.id}</span> <span class="pill ${run.exit_status}"></span>` +
      `<span class="run-sub"></span>`;
    item.querySelector('.pill').textContent = run.exit_status;
    item.querySelector('.run-sub').textContent =
      `${title} · ${run.sample || '–'} · ${run.start_utc.slice(0, 16).replace('T', ' ')}`;
    item.addEventListener('click', () => { location.hash = `run=${run.id}`; });
    list.appendChild(item);
  }
  if (!state && runs.length && !location.hash) location.hash = `run=${runs[0].id}`;
}

// ------------------------------------------------------------------------------------------
// Charts

function plotWidth(figure) {
  return Math.max(300, figure.querySelector('.plot').clientWidth || figure.clientWidth - 24);
}

function makeChart(name, options, data) {
  const figure = $(`chart-${name}`);
  const target = figure.querySelector('.plot');
  if (glasslab.charts[name]) glasslab.charts[name].destroy();
  target.replaceChildren();
  const chart = new uPlot({ width: plotWidth(figure), height: name === 'stage' ? 300 : 260, ...options }, data, target);
  glasslab.charts[name] = chart;
  return chart;
}

function showEmpty(name, message) {
  const figure = $(`chart-${name}`);
  const empty = figure.querySelector('.empty');
  if (glasslab.charts[name]) { glasslab.charts[name].destroy(); delete glasslab.charts[name]; }
  figure.querySelector('.plot').replaceChildren();
  if (message) empty.textContent = message;
  empty.hidden = false;
}

function hideEmpty(name) { $(`chart-${name}`).querySelector('.empty').hidden = true; }

const line = (label, color, extra) => ({ label, stroke: color, width: 1.5, spanGaps: true, ...extra });
const dots = (label, color) => ({ label, stroke: color, fill: color, paths: () => null, points: { show: true, size: 5, fill: color } });

function drawStage() {
  const s = state.stage;
  if (!s.t.length) return showEmpty('stage');
  hideEmpty('stage');
  const data = [s.t.map((t) => t / 60), s.T, s.setpoint];
  const chart = glasslab.charts.stage;
  if (chart) { chart.setData(data); return; }
  makeChart('stage', {
    scales: { x: { time: false } },
    series: [{ label: 'time (min)' }, line('T (K)', palette[0]), line('setpoint (K)', palette[1], { dash: [6, 4], width: 1 })],
    axes: [{ label: 'time since start (min)' }, { label: 'temperature (K)', size: 60 }],
  }, data);
  if (glasslab.firstChartMs === null) glasslab.firstChartMs = performance.now();
}

function drawSeq(seq) {
  const frames = (seq.frames || []).slice().sort((a, b) => a[1] - b[1]);
  if (!frames.length) { showEmpty('seq'); showEmpty('heat', 'no heat flow: ' + (seq.heat_flow_reason || 'no frames yet')); return; }
  hideEmpty('seq');
  const data = [frames.map((f) => f[1]), frames.map((f) => f[2])];
  if (glasslab.charts.seq) glasslab.charts.seq.setData(data);
  else makeChart('seq', {
    scales: { x: { time: false } },
    series: [{ label: 'T (K)' }, dots('Seq (kB/atom)', palette[2])],
    axes: [{ label: 'T at mid-exposure (K)' }, { label: 'Seq (kB/atom)', size: 60 }],
  }, data);
  const hf = seq.heat_flow;
  if (!hf || !hf.T_K || !hf.T_K.length) { showEmpty('heat', 'no heat flow yet: ' + (seq.heat_flow_reason || '')); return; }
  hideEmpty('heat');
  const order = hf.T_K.map((_, i) => i).sort((a, b) => hf.T_K[a] - hf.T_K[b]);
  makeChart('heat', {
    scales: { x: { time: false } },
    series: [{ label: 'T (K)' }, line(`Δφeq (${hf.unit})`, palette[3])],
    axes: [{ label: `T (K) · heating at ${fmt(hf.heating_rate_K_per_min, 1)} K/min` }, { label: hf.unit, size: 70 }],
  }, [order.map((i) => hf.T_K[i]), order.map((i) => hf.value[i])]);
}

function drawTanDelta() {
  const rows = state.dma;
  if (!rows.length) return showEmpty('tand');
  hideEmpty('tand');
  const sweeps = [...new Set(rows.map((r) => r[6]))];
  const select = $('sweep-select');
  if (select.options.length !== sweeps.length) {
    const chosen = select.dataset.userChoice ? select.value : null;
    select.replaceChildren(...sweeps.map((s) => new Option(s, s)));
    select.value = chosen && sweeps.includes(chosen) ? chosen : sweeps[sweeps.length - 1];
  }
  const sweep = select.value;
  const byFrequency = new Map();
  for (const r of rows) {
    if (r[6] !== sweep || !(r[3] > 0) || r[1] === null) continue;
    if (!byFrequency.has(r[2])) byFrequency.set(r[2], []);
    byFrequency.get(r[2]).push([r[1], r[3]]);
  }
  const frequencies = [...byFrequency.keys()].sort((a, b) => a - b);
  const tables = frequencies.map((f) => {
    const points = byFrequency.get(f).sort((a, b) => a[0] - b[0]);
    return [points.map((p) => p[0]), points.map((p) => p[1])];
  });
  if (!tables.length) return showEmpty('tand', 'no tan δ values in this sweep');
  makeChart('tand', {
    scales: { x: { time: false }, y: { distr: 3 } },
    series: [{ label: 'T (K)' }, ...frequencies.map((f, i) => line(`${f} Hz`, palette[i % palette.length]))],
    axes: [{ label: 'sample temperature (K)' }, { label: 'tan δ', size: 60 }],
  }, uPlot.join(tables));
}

function drawArrhenius(arrhenius) {
  const relaxations = (arrhenius.relaxations || []).filter((r) => r.points.length);
  if (!relaxations.length) return showEmpty('arrhenius');
  hideEmpty('arrhenius');
  const tables = [], series = [{ label: '1000/Tp (1/K)' }];
  relaxations.forEach((r, i) => {
    const color = palette[i % palette.length];
    const points = r.points.slice().sort((a, b) => a[0] - b[0]);
    const energy = r.energy_eV === null ? 'no fit' : `E = ${fmt(r.energy_eV, 2)} eV`;
    tables.push([points.map((p) => p[0]), points.map((p) => p[1])]);
    series.push(dots(`${r.name} (${r.sweep}) ${energy}`, color));
    if (r.line.length === 2) {
      tables.push([[r.line[0][0], r.line[1][0]], [r.line[0][1], r.line[1][1]]]);
      series.push(line(`${r.name} fit`, color, { dash: [4, 3], width: 1 }));
    }
  });
  makeChart('arrhenius', {
    scales: { x: { time: false } },
    series,
    axes: [{ label: '1000 / Tp (1/K)' }, { label: 'ln (f / Hz)', size: 50 }],
  }, uPlot.join(tables));
}

// ------------------------------------------------------------------------------------------
// Status, control, events

function showStatus(control) {
  state.control = control;
  state.statusSeenMs = Date.now();
  const s = control.status || {};
  const controlState = control.available ? (control.state || 'running') : 'no control';
  setPill($('control-state'), controlState === 'running' ? 'running' : controlState.replace('_', ' '), controlState);
  if (s.step_index === undefined || s.step_index < 0) {
    $('step-line').textContent = control.available ? 'starting…' : 'no live status for this run';
  } else {
    $('step-line').textContent = `step ${s.step_index + 1} of ${s.step_count}: ${s.step_kind} — ${s.step_description}`;
  }
  const ended = state.detail.exit_status !== 'running';
  const fraction = ended && state.detail.exit_status === 'success' ? 1 : (s.run_fraction || 0);
  $('progress-bar').style.width = `${Math.round(fraction * 1000) / 10}%`;
  $('progress-line').textContent = ended ? `run ${state.detail.exit_status}: ${state.detail.exit_reason}` :
    s.run_fraction === undefined ? '' :
    `${fmt(100 * s.run_fraction, 1)} % of the run · ${duration(s.remaining_s)} left · ${duration(s.elapsed_s)} elapsed` +
    (s.paused_s ? ` · ${duration(s.paused_s)} paused` : '') + (s.pause_note && controlState === 'pause_requested' ? ` · ${s.pause_note}` : '');
  if (!state.stage.t.length && s.T_K !== undefined) $('live-T').textContent = fmt(s.T_K, 2);
  $('live-setpoint').textContent = fmt(s.setpoint_K, 2);
  $('live-rate').textContent = fmt(s.rate_K_per_min, 1);
  $('live-frames').textContent = s.frames === undefined ? '–' : `${s.frames} (${s.frames_ok} ok)`;
  $('live-seq').textContent = fmt(s.last_seq_kB_per_atom, 4);
  $('live-sweep').textContent = s.dma_sweep ? `${s.dma_sweep_number}/${s.dma_sweep_count}` : '–';
  $('live-sweep').title = s.dma_sweep || '';
  $('live-frequency').textContent = s.dma_frequency_Hz === null || s.dma_frequency_Hz === undefined ? '–' : `${s.dma_frequency_Hz}`;
  $('live-faults').textContent = s.faults === undefined ? '–' : s.faults;
  updateButtons();
}

function updateButtons() {
  const running = state.detail.exit_status === 'running';
  const c = state.control || {};
  const st = c.state || 'running';
  const can = running && c.available && st !== 'ended';
  $('pause').disabled = !(can && st === 'running');
  $('resume').disabled = !(can && (st === 'paused' || st === 'pause_requested'));
  $('abort').disabled = !(can && st !== 'aborting');
  $('token').disabled = !can;
}

async function sendControl(action) {
  const token = $('token').value.trim();
  sessionStorage.setItem(`glasslab-token-${state.id}`, token);
  if (action === 'abort' && !confirm(`Abort run ${state.id}? Every instrument is left in its safe state.`)) return;
  const result = $('control-result');
  result.className = 'muted';
  result.textContent = `${action}: sending…`;
  try {
    const response = await fetch(`/api/runs/${state.id}/control`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ action }),
    });
    const answer = await response.json();
    const accepted = response.status === 200;
    result.className = accepted ? 'ok' : (response.status === 202 ? 'muted' : 'refused');
    result.textContent = `${action}: ${answer.status || answer.verdict || response.status} — ${answer.outcome || answer.message || answer.error || ''}`;
  } catch (e) {
    result.className = 'refused';
    result.textContent = `${action}: ${e.message}`;
  }
}

function addEvents(rows) {
  const body = $('events').tBodies[0];
  for (const e of rows) {
    const tr = document.createElement('tr');
    tr.className = e.source === 'operator' ? 'operator' : e.level;
    for (const text of [e.t_utc.slice(11, 19), e.level, e.source, e.kind, e.message]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.appendChild(td);
    }
    body.insertBefore(tr, body.firstChild);
  }
  while (body.rows.length > 1000) body.deleteRow(body.rows.length - 1);
}

function showHead(detail) {
  $('run-title').textContent = `Run ${detail.id}: ${detail.title || detail.schedule_path}`;
  setPill($('run-status'), detail.exit_status);
  const meta = $('run-meta');
  meta.replaceChildren();
  const sample = detail.sample && detail.sample.name ? `${detail.sample.name} (${detail.sample.state || '–'})` : '–';
  const items = [['sample', sample], ['operator', detail.operator || '–'], ['started', detail.start_utc.replace('T', ' ').slice(0, 19) + ' UTC'],
    ['duration', detail.duration_s === null ? 'running' : duration(detail.duration_s)],
    ['simulated', detail.configuration && detail.configuration.simulated ? `yes, ×${detail.speed}` : 'no']];
  if (detail.exit_reason) items.push(['end', detail.exit_reason]);
  for (const [k, v] of items) {
    const dt = document.createElement('dt'); dt.textContent = k;
    const dd = document.createElement('dd'); dd.textContent = v;
    meta.append(dt, dd);
  }
  $('schedule').textContent = detail.schedule_text;
  $('configuration').textContent = JSON.stringify({ sample: detail.sample, configuration: detail.configuration }, null, 2);
}

// ------------------------------------------------------------------------------------------
// Live updates

function onStageRows(rows) {
  const s = state.stage;
  for (const [t, T, setpoint] of rows) { s.t.push(t); s.T.push(T); s.setpoint.push(setpoint); }
  glasslab.liveStageRows += rows.length;
  const last = rows[rows.length - 1];
  $('live-T').textContent = fmt(last[1], 2);
  drawStage();
  // Each reading was logged at start_wall + t / speed (wall clock); it is on screen at the next frame.
  const toWallMs = (t) => state.detail.start_wall_ms + (t * 1000) / (state.detail.speed || 1);
  const logged = rows.map((r) => toWallMs(r[0]));
  requestAnimationFrame(() => { const now = Date.now(); for (const l of logged) glasslab.latencies.push(now - l); });
}

function onUpdate(message) {
  if (message.type === 'error') { setPill($('connection'), 'error', 'failed'); return; }
  if (message.stage) onStageRows(message.stage);
  if (message.events) addEvents(message.events);
  if (message.dma) { state.dma.push(...message.dma); drawTanDelta(); }
  if (message.seq) { state.versions.seq = message.seq.version; drawSeq(message.seq); }
  if (message.arrhenius) { state.versions.fits = message.arrhenius.version; drawArrhenius(message.arrhenius); }
  if (message.control) showStatus(message.control);
  if (message.exit_status && message.exit_status !== state.detail.exit_status) refreshHead();
}

async function refreshHead() {
  const id = state.id;
  const detail = await getJson(`/api/runs/${id}`);
  if (!state || state.id !== id) return;
  state.detail = detail;
  showHead(detail);
  showStatus(state.control);
  loadRuns();
}

function connect() {
  const run = state;
  const c = run.cursors;
  const url = `ws://${location.host}/api/runs/${run.id}/live?stage=${c.stage}&events=${c.events}&dma=${c.dma}` +
    `&seq=${run.versions.seq}&fits=${run.versions.fits}`;
  const socket = new WebSocket(url);
  run.socket = socket;
  socket.onopen = () => setPill($('connection'), 'live', 'live');
  socket.onmessage = (event) => {
    if (state !== run) return;
    const message = JSON.parse(event.data);
    // The cursors move with what arrived, so a reconnect resumes exactly after it.
    if (message.cursors) Object.assign(c, message.cursors);
    onUpdate(message);
  };
  socket.onclose = () => {
    if (state !== run) return;
    setPill($('connection'), 'reconnecting…', 'aborted');
    setTimeout(() => { if (state === run) connect(); }, 2000);
  };
}

// ------------------------------------------------------------------------------------------
// Opening a run

async function openRun(id) {
  if (state && state.socket) { state.socket.onclose = null; state.socket.close(); }
  for (const name of Object.keys(glasslab.charts)) { glasslab.charts[name].destroy(); delete glasslab.charts[name]; }
  $('events').tBodies[0].replaceChildren();
  $('control-result').textContent = '';
  $('sweep-select').replaceChildren();
  delete $('sweep-select').dataset.userChoice;
  let detail;
  try {
    detail = await getJson(`/api/runs/${id}`);
  } catch (e) {
    $('run').hidden = true; $('no-run').hidden = false;
    $('no-run').querySelector('p').textContent = `Run ${id} cannot be shown: ${e.message}`;
    return;
  }
  $('run').hidden = false; $('no-run').hidden = true;
  // One min/max pair per pixel column of the chart; #points=all asks for every reading instead
  // (the peer of bench/dashboard: slow for long runs).
  const buckets = Math.max(200, Math.min(4000, Math.round($('chart-stage').clientWidth || 1200)));
  const stageQuery = /points=all/.test(location.hash) ? 'all=1' : `buckets=${buckets}`;
  const [stage, events, dma, seq, arrhenius] = await Promise.all([
    getJson(`/api/runs/${id}/stage?${stageQuery}`), getJson(`/api/runs/${id}/events`),
    getJson(`/api/runs/${id}/dma`), getJson(`/api/runs/${id}/seq`), getJson(`/api/runs/${id}/arrhenius`)]);
  state = {
    id, detail, control: detail.control, socket: null, dma: dma.rows,
    stage: { t: stage.t_s, T: stage.T_K, setpoint: stage.setpoint_K, downsampled: stage.downsampled },
    cursors: { stage: stage.last, events: events.last, dma: dma.last },
    versions: { seq: seq.version, fits: arrhenius.version },
  };
  $('token').value = sessionStorage.getItem(`glasslab-token-${id}`) || '';
  showHead(detail);
  showStatus(detail.control);
  if (stage.T_K.length) $('live-T').textContent = fmt(stage.T_K[stage.T_K.length - 1], 2);
  drawStage();
  addEvents(events.rows);
  drawTanDelta();
  drawSeq(seq);
  drawArrhenius(arrhenius);
  for (const li of $('run-list').children) li.classList.toggle('selected', Number(li.dataset.run) === id);
  connect();
}

function runFromHash() {
  const match = /run=(\d+)/.exec(location.hash);
  return match ? Number(match[1]) : null;
}

window.addEventListener('hashchange', () => { const id = runFromHash(); if (id) openRun(id); });
window.addEventListener('resize', () => {
  for (const [name, chart] of Object.entries(glasslab.charts)) chart.setSize({ width: plotWidth($(`chart-${name}`)), height: chart.height });
});
$('pause').addEventListener('click', () => sendControl('pause'));
$('resume').addEventListener('click', () => sendControl('resume'));
$('abort').addEventListener('click', () => sendControl('abort'));
$('sweep-select').addEventListener('change', () => { $('sweep-select').dataset.userChoice = '1'; drawTanDelta(); });

// A running run rewrites its status twice a second: say so when it stops doing that.
setInterval(() => {
  if (!state || !state.detail || state.detail.exit_status !== 'running' || !(state.control || {}).available) {
    if (state) $('status-age').textContent = '';
    return;
  }
  const silentS = (Date.now() - (state.statusSeenMs || Date.now())) / 1000;
  $('status-age').textContent = silentS > 5 ? `no status from the run for ${Math.round(silentS)} s: is its process still alive?` : '';
}, 1000);

loadRuns().then(() => { const id = runFromHash(); if (id) openRun(id); });
setInterval(loadRuns, 10000);
