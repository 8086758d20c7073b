// The hotline wallboard: plain browser JavaScript, no build step. It reads the history once
// (GET /api/kpis/history), then follows the live figures over server-sent events (GET /api/kpis/stream).
// The token comes from the page address (#access_token=… is never sent to the server; ?access_token=… is
// redacted from the server's logs and removed from the address bar), or from the login form; it is kept in
// sessionStorage for this tab only.
(function () {
  'use strict';

  const I18N = {
    zh: {
      title: '热线监控大屏', connecting: '连接中…', live: '实时', stale: '数据过期', reconnecting: '重新连接中…',
      updated: '更新于', window: '统计窗口', token: '访问令牌', connect: '连接', badToken: '令牌无效或无权限（需要主管或管理员）',
      waiting: '排队', longestWait: '最长等待', serviceLevel: '服务水平', offered: '呼入', answered: '接通', abandoned: '放弃',
      abandonRate: '放弃率', asa: '平均应答', aht: '平均处理', occupancy: '占用率', queues: '队列', queue: '队列',
      required: '需要坐席', loggedIn: '在线', ready: '就绪', agents: '坐席', agent: '坐席', state: '状态', timeInState: '持续',
      chartCalls: '呼叫量', chartSl: '服务水平', chartStaff: '需要与在线坐席', target: '目标', hotline: '全部',
      slAlert: '{q}：服务水平 {v}，低于目标 {t}', waitAlert: '{q}：最长等待 {v}，超过上限', reviewAlert: '{n} 条不满意评价回访已超时',
      planAlert: '{q}：高峰期应急预案 {l} 级', plan1: '高峰期应急预案 1 级：暂停休息，暂停外呼回访', plan2: '高峰期应急预案 2 级：主管及全部坐席接听', campaign: '活动期间：不批假',
      states: { 'logged-out': '离线', 'not-ready': '未就绪', ready: '就绪', reserved: '预留', ringing: '振铃', 'on-call': '通话', 'wrap-up': '话后' },
      reasons: { break: '休息', lunch: '午餐', training: '培训', meeting: '会议', 'after-call': '话后', missed: '未接', other: '其他', leave: '请假' },
      min: '分钟', sec: '秒',
    },
    en: {
      title: 'Hotline wallboard', connecting: 'Connecting…', live: 'Live', stale: 'Stale', reconnecting: 'Reconnecting…',
      updated: 'Updated', window: 'Window', token: 'Access token', connect: 'Connect', badToken: 'Unknown token or not allowed (needs supervisor or admin)',
      waiting: 'Waiting', longestWait: 'Longest wait', serviceLevel: 'Service level', offered: 'Offered', answered: 'Answered', abandoned: 'Abandoned',
      abandonRate: 'Abandon rate', asa: 'ASA', aht: 'AHT', occupancy: 'Occupancy', queues: 'Queues', queue: 'Queue',
      required: 'Required', loggedIn: 'Logged in', ready: 'Ready', agents: 'Agents', agent: 'Agent', state: 'State', timeInState: 'Time in state',
      chartCalls: 'Calls', chartSl: 'Service level', chartStaff: 'Required vs present agents', target: 'target', hotline: 'All',
      slAlert: '{q}: service level {v}, under target {t}', waitAlert: '{q}: longest wait {v}, over the limit', reviewAlert: '{n} dissatisfied-call reviews overdue',
      planAlert: '{q}: peak-load plan level {l}', plan1: 'Peak-load plan level 1: breaks suspended, callbacks paused', plan2: 'Peak-load plan level 2: supervisors and every seat take calls', campaign: 'Campaign running: no leave',
      states: { 'logged-out': 'Logged out', 'not-ready': 'Not ready', ready: 'Ready', reserved: 'Reserved', ringing: 'Ringing', 'on-call': 'On call', 'wrap-up': 'Wrap-up' },
      reasons: { break: 'break', lunch: 'lunch', training: 'training', meeting: 'meeting', 'after-call': 'after call', missed: 'missed', other: 'other', leave: 'leave' },
      min: 'min', sec: 's',
    },
  };
  const STATE_ORDER = ['ready', 'reserved', 'ringing', 'on-call', 'wrap-up', 'not-ready', 'logged-out'];

  let lang = localStorage.getItem('wallboard.lang') === 'en' ? 'en' : 'zh';
  const t = (key) => I18N[lang][key] ?? key;
  const $ = (sel, root) => (root || document).querySelector(sel);

  // ---- formatting (the raw value always sits in data-value, so a reader or a test can compare it exactly) ----
  const pct = (v) => (v === null || v === undefined ? '—' : (v * 100).toFixed(1) + '%');
  const num = (v, d) => (v === null || v === undefined ? '—' : Number(v).toFixed(d ?? 0));
  const dur = (sec) => {
    if (sec === null || sec === undefined) return '—';
    const s = Math.max(0, Math.floor(sec));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const two = (n) => String(n).padStart(2, '0');
    return h > 0 ? `${h}:${two(m)}:${two(r)}` : `${m}:${two(r)}`;
  };
  const FORMAT = {
    waiting: (v) => num(v), offered: (v) => num(v), answered: (v) => num(v), abandoned: (v) => num(v),
    longestWaitSec: dur, serviceLevel: pct, abandonRate: pct, occupancy: pct, asaSec: (v) => num(v, 1), ahtSec: (v) => num(v, 1),
    required: (v) => num(v), loggedIn: (v) => num(v), ready: (v) => num(v),
  };
  function put(el, key, value) {
    el.dataset.value = value === null || value === undefined ? 'null' : String(value);
    el.textContent = (FORMAT[key] || String)(value);
  }

  // ---- token ----
  function takeToken() {
    const fromHash = new URLSearchParams(location.hash.slice(1)).get('access_token');
    const url = new URL(location.href);
    const fromQuery = url.searchParams.get('access_token');
    const tok = fromHash || fromQuery;
    if (tok) {
      sessionStorage.setItem('wallboard.token', tok);
      url.searchParams.delete('access_token');
      url.hash = '';
      history.replaceState(null, '', url.pathname + url.search);
      return tok;
    }
    return sessionStorage.getItem('wallboard.token');
  }

  // ---- language ----
  function applyLang() {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
    $('#lang').textContent = lang === 'zh' ? 'EN' : '中文';
    document.title = t('title');
    if (latest) render(latest);
    setStatus(statusState);
    rebuildCharts();
  }

  let statusState = 'connecting';
  function setStatus(s) {
    statusState = s;
    const el = $('#status');
    el.dataset.state = s;
    el.textContent = t(s);
  }

  // ---- rendering ----
  let latest = null;
  let receivedAt = 0; // performance.now() when `latest` arrived: time in state ticks from the server's `at`.
  const queueName = (id) => (id === '*' ? t('hotline') : id);

  function gauge(q) {
    const v = q.serviceLevel ?? 0;
    const ok = q.serviceLevel === null || q.serviceLevel >= q.target.fraction;
    return `<span class="gauge" title="${t('target')} ${pct(q.target.fraction)} / ${q.target.seconds}${t('sec')}">` +
      `<span class="ring" style="--v:${v};--t:${q.target.fraction};--c:${ok ? 'var(--ok)' : 'var(--bad)'}"></span>` +
      `<span data-kpi="serviceLevel"></span></span>`;
  }

  function render(k) {
    $('#at').dataset.at = String(k.at);
    $('#at').textContent = new Date(k.at).toLocaleTimeString(lang === 'zh' ? 'zh-CN' : 'en-GB');
    $('#window').textContent = `${Math.round(k.windowSec / 60)} ${t('min')}`;

    for (const el of document.querySelectorAll('#hotline [data-kpi]')) {
      const key = el.dataset.kpi;
      if (key === 'target') el.textContent = `${t('target')} ${pct(k.hotline.target.fraction)} / ${k.hotline.target.seconds}${t('sec')}`;
      else put(el, key, k.hotline[key]);
    }

    const tbody = $('#queues tbody');
    const rows = [];
    for (const q of k.queues) {
      let tr = tbody.querySelector(`tr[data-queue="${CSS.escape(q.queueId)}"]`);
      if (!tr) {
        tr = document.createElement('tr');
        tr.dataset.queue = q.queueId;
      }
      tr.innerHTML = `<td></td><td data-kpi="waiting"></td><td data-kpi="longestWaitSec"></td><td>${gauge(q)}</td>` +
        '<td data-kpi="offered"></td><td data-kpi="answered"></td><td data-kpi="abandoned"></td>' +
        '<td data-kpi="required"></td><td data-kpi="loggedIn"></td><td data-kpi="ready"></td>';
      tr.firstChild.textContent = queueName(q.queueId);
      for (const el of tr.querySelectorAll('[data-kpi]')) {
        const key = el.dataset.kpi;
        const value = key in q.staffing ? q.staffing[key] : q[key];
        put(el, key, value);
      }
      const alerted = k.alerts.some((a) => a.queueId === q.queueId && a.kind === 'longest-wait');
      tr.querySelector('[data-kpi="longestWaitSec"]').classList.toggle('over', alerted);
      rows.push(tr);
    }
    tbody.replaceChildren(...rows);

    const chips = STATE_ORDER.filter((s) => (k.agents.byState[s] ?? 0) > 0).map((s) => {
      const c = document.createElement('span');
      c.className = 'state-chip';
      c.dataset.state = s;
      c.innerHTML = `<span></span><b data-value="${k.agents.byState[s]}">${k.agents.byState[s]}</b>`;
      c.firstChild.textContent = t('states')[s] ?? s;
      return c;
    });
    $('#by-state').replaceChildren(...chips);

    const agents = [...k.agents.list].sort((a, b) => STATE_ORDER.indexOf(a.state) - STATE_ORDER.indexOf(b.state) || a.since - b.since);
    $('#agents tbody').replaceChildren(...agents.map((a) => {
      const tr = document.createElement('tr');
      tr.dataset.agent = a.agentId;
      tr.dataset.state = a.state;
      tr.innerHTML = '<td></td><td class="state"></td><td data-since></td>';
      tr.children[0].textContent = a.name ?? a.agentId;
      tr.children[1].textContent = (t('states')[a.state] ?? a.state) + (a.reason ? ` (${t('reasons')[a.reason] ?? a.reason})` : '');
      tr.children[2].dataset.since = String(a.since);
      return tr;
    }));
    tickSince();

    // The peak-load plan's banner: its level (data-level, for a reader or a test) and the campaign running.
    const plan = k.plan || { level: 0, since: null, campaign: null };
    const banner = $('#plan');
    banner.dataset.level = String(plan.level);
    banner.hidden = plan.level === 0 && !plan.campaign;
    banner.textContent = [plan.level > 0 ? t('plan' + plan.level) : '', plan.campaign ? t('campaign') + ` (${plan.campaign})` : ''].filter(Boolean).join(' · ');

    $('#alerts').replaceChildren(...k.alerts.map((a) => {
      const d = document.createElement('div');
      d.className = 'alert';
      d.dataset.queue = a.queueId;
      d.dataset.kind = a.kind;
      d.title = a.message;
      const q = a.queueId === '*' ? k.hotline : k.queues.find((x) => x.queueId === a.queueId);
      if (q && a.kind === 'service-level') d.textContent = t('slAlert').replace('{q}', queueName(a.queueId)).replace('{v}', pct(q.serviceLevel)).replace('{t}', pct(q.target.fraction));
      else if (q && a.kind === 'longest-wait') d.textContent = t('waitAlert').replace('{q}', queueName(a.queueId)).replace('{v}', dur(q.longestWaitSec));
      // The scope's own level is in the server's message ("peak-load plan level 2 …").
      else if (a.kind === 'plan') d.textContent = t('planAlert').replace('{q}', queueName(a.queueId)).replace('{l}', (/level (\d)/.exec(a.message) || [])[1] || '?');
      else if (a.kind === 'reviews-overdue') {
        d.dataset.count = String(a.count);
        d.textContent = t('reviewAlert').replace('{n}', String(a.count));
      }
      else d.textContent = a.message;
      return d;
    }));
  }

  // Time in state: the server's `at` minus the agent's `since`, plus the time since that picture arrived — the
  // browser's own clock may be off; only its elapsed time is used.
  function tickSince() {
    if (!latest) return;
    const elapsed = (performance.now() - receivedAt) / 1000;
    for (const el of document.querySelectorAll('#agents [data-since]')) {
      el.textContent = dur((latest.at - Number(el.dataset.since)) / 1000 + elapsed);
    }
  }
  setInterval(tickSince, 1000);

  // ---- charts (uPlot) ----
  let samples = []; // {at, queues: {'*': point}}
  let keepMs = 4 * 3600_000;
  let everyMs = 30_000;
  const charts = {};
  const seriesDefs = () => ({
    calls: [{ label: t('offered'), stroke: '#58a6ff', key: 'offered' }, { label: t('answered'), stroke: '#2ea043', key: 'answered' }, { label: t('abandoned'), stroke: '#f85149', key: 'abandoned' }],
    sl: [{ label: t('serviceLevel'), stroke: '#2ea043', key: 'serviceLevel', scale: 100 }, { label: t('target'), stroke: '#d29922', dash: [6, 4], key: 'target', scale: 100 }],
    staff: [{ label: t('required'), stroke: '#d29922', key: 'required' }, { label: t('loggedIn'), stroke: '#58a6ff', key: 'loggedIn' }, { label: t('ready'), stroke: '#2ea043', key: 'ready' }],
  });
  function chartData(defs) {
    const xs = samples.map((s) => s.at / 1000);
    const target = latest ? latest.hotline.target.fraction : null;
    return [xs, ...defs.map((d) => samples.map((s) => {
      const p = s.queues['*'];
      const v = d.key === 'target' ? target : p ? p[d.key] : null;
      return v === null || v === undefined ? null : v * (d.scale ?? 1);
    }))];
  }
  function rebuildCharts() {
    if (typeof uPlot === 'undefined' || $('#board').hidden) return;
    const defs = seriesDefs();
    for (const [name, ds] of Object.entries(defs)) {
      const host = $(`#chart-${name}`);
      charts[name]?.destroy();
      const width = Math.max(260, host.clientWidth || 400);
      charts[name] = new uPlot({
        width, height: 200,
        series: [{}, ...ds.map((d) => ({ label: d.label, stroke: d.stroke, width: 2, dash: d.dash, spanGaps: true }))],
        axes: [{ stroke: '#8b9bb0', grid: { stroke: '#263241' } }, { stroke: '#8b9bb0', grid: { stroke: '#263241' }, ...(name === 'sl' ? { values: (u, vs) => vs.map((v) => v + '%') } : {}) }],
        scales: name === 'sl' ? { y: { range: [0, 100] } } : { y: { range: (u, min, max) => [0, Math.max(1, max)] } },
        legend: { live: false },
      }, chartData(ds), host);
    }
  }
  function pushSample(k) {
    const last = samples[samples.length - 1];
    // Live points at most every 5 s (or the server's history pace when faster), the window trimmed to keepMs.
    if (last && k.at - last.at < Math.min(everyMs, 5000)) return;
    const p = (q) => ({ waiting: q.waiting, offered: q.offered, answered: q.answered, abandoned: q.abandoned, serviceLevel: q.serviceLevel, required: q.staffing.required, loggedIn: q.staffing.loggedIn, ready: q.staffing.ready });
    samples.push({ at: k.at, queues: { '*': p(k.hotline) } });
    while (samples.length && samples[0].at < k.at - keepMs) samples.shift();
    const defs = seriesDefs();
    for (const [name, ds] of Object.entries(defs)) charts[name]?.setData(chartData(ds));
  }

  // ---- connection ----
  let source = null;
  async function start(token) {
    const res = await fetch('/api/kpis/history', { headers: { authorization: `Bearer ${token}` } });
    if (res.status === 401 || res.status === 403) {
      sessionStorage.removeItem('wallboard.token');
      showLogin(t('badToken'));
      return;
    }
    if (res.ok) {
      const h = await res.json();
      samples = h.samples;
      keepMs = h.keepMs;
      everyMs = h.everyMs;
    }
    $('#login').hidden = true;
    $('#board').hidden = false;
    rebuildCharts();
    source = new EventSource(`/api/kpis/stream?access_token=${encodeURIComponent(token)}`);
    source.addEventListener('kpis', (ev) => {
      latest = JSON.parse(ev.data);
      receivedAt = performance.now();
      setStatus('live');
      render(latest);
      pushSample(latest);
    });
    source.addEventListener('stale', () => setStatus('stale'));
    source.onerror = () => setStatus('reconnecting');
  }

  function showLogin(message) {
    $('#board').hidden = true;
    $('#login').hidden = false;
    $('#login-error').textContent = message || '';
  }

  $('#login').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const tok = $('#token').value.trim();
    if (!tok) return;
    sessionStorage.setItem('wallboard.token', tok);
    start(tok).catch((e) => showLogin(String(e)));
  });
  $('#lang').addEventListener('click', () => {
    lang = lang === 'zh' ? 'en' : 'zh';
    localStorage.setItem('wallboard.lang', lang);
    applyLang();
  });
  window.addEventListener('resize', () => rebuildCharts());

  applyLang();
  const token = takeToken();
  if (token) start(token).catch((e) => showLogin(String(e)));
  else showLogin('');
})();
