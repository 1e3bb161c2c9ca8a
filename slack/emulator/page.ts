/**
 * Slack emoji shortcodes the emulator page draws as the characters Slack shows: every one Ladder's
 * messages use, and common ones people type. Others stay as their `:name:` text, as in Slack for
 * an unknown name. (A full table would come from an emoji package; this one covers what Ladder writes.)
 */
export const EMULATOR_EMOJI: Readonly<Record<string, string>> = {
  white_check_mark: '\u2705',
  heavy_check_mark: '\u2714\uFE0F',
  x: '\u274C',
  hourglass_flowing_sand: '\u23F3',
  hourglass: '\u231B',
  white_circle: '\u26AA',
  grey_question: '\u2754',
  question: '\u2753',
  bulb: '\u{1F4A1}',
  large_green_circle: '\u{1F7E2}',
  red_circle: '\u{1F534}',
  leftwards_arrow_with_hook: '\u21A9\uFE0F',
  warning: '\u26A0\uFE0F',
  octagonal_sign: '\u{1F6D1}',
  rotating_light: '\u{1F6A8}',
  no_entry: '\u26D4',
  bell: '\u{1F514}',
  eyes: '\u{1F440}',
  lock: '\u{1F512}',
  memo: '\u{1F4DD}',
  clipboard: '\u{1F4CB}',
  pushpin: '\u{1F4CC}',
  rocket: '\u{1F680}',
  fire: '\u{1F525}',
  tada: '\u{1F389}',
  '+1': '\u{1F44D}',
  thumbsup: '\u{1F44D}',
  '-1': '\u{1F44E}',
  thumbsdown: '\u{1F44E}',
  arrow_up: '\u2B06\uFE0F',
  arrow_down: '\u2B07\uFE0F',
  arrow_right: '\u27A1\uFE0F',
  information_source: '\u2139\uFE0F',
  stopwatch: '\u23F1\uFE0F',
  calendar: '\u{1F4C5}',
  robot_face: '\u{1F916}',
  bust_in_silhouette: '\u{1F464}',
  wave: '\u{1F44B}',
};

/**
 * The emulator's one web page: the person's App Home and the channels and DMs on the left, the
 * selected channel's messages (or the Home the app published) rendered from their Block Kit, a
 * composer for slash commands, and modals. Opening Home delivers `app_home_opened`, as Slack does
 * when the tab is opened; a button there is clicked as a button in the published view. It polls
 * `/emulator/state` and sends clicks, commands and submissions to the emulator, which delivers
 * them to the app as signed Slack requests. Plain JS, no build step.
 */
export function emulatorPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ladder — local Slack</title>
<style>
  body { margin: 0; font: 14px/1.45 system-ui, sans-serif; display: grid; grid-template-columns: 230px 1fr; height: 100vh; }
  nav { background: #3f0e40; color: #ddd; padding: 12px; overflow-y: auto; }
  nav h1 { font-size: 15px; color: #fff; margin: 0 0 10px; }
  nav label { font-size: 12px; display: block; margin: 10px 0 4px; }
  nav select, nav input { width: 100%; box-sizing: border-box; }
  nav a { display: block; color: #ddd; padding: 3px 6px; border-radius: 4px; text-decoration: none; cursor: pointer; }
  nav a.active { background: #1164a3; color: #fff; }
  main { display: flex; flex-direction: column; min-height: 0; }
  #messages { flex: 1; overflow-y: auto; padding: 12px 18px; }
  .message { border-bottom: 1px solid #eee; padding: 8px 0; }
  .message.ephemeral { background: #f4f8fb; }
  .meta { color: #888; font-size: 12px; }
  .header { font-weight: 700; font-size: 16px; margin: 2px 0; }
  /* As in Slack: spaces in a message are kept (indented lines stay indented). */
  .section { white-space: pre-wrap; }
  .context { color: #616061; font-size: 12px; }
  .context span { margin-right: 10px; }
  .actions button { margin: 4px 6px 0 0; padding: 4px 12px; border: 1px solid #bbb; border-radius: 4px; background: #fff; cursor: pointer; }
  .actions button.primary { background: #007a5a; color: #fff; border-color: #007a5a; }
  .actions button.danger { background: #e01e5a; color: #fff; border-color: #e01e5a; }
  pre { background: #f6f6f6; padding: 6px; white-space: pre-wrap; }
  form#composer-form { display: flex; padding: 10px; border-top: 1px solid #ddd; }
  #composer { flex: 1; padding: 8px; }
  #modal-backdrop { position: fixed; inset: 0; background: rgba(0,0,0,.4); display: none; align-items: center; justify-content: center; }
  #modal { background: #fff; width: 520px; max-height: 85vh; overflow-y: auto; border-radius: 8px; padding: 16px 20px; }
  #modal .input { margin: 10px 0; }
  #modal .input label { display: block; font-weight: 600; }
  #modal .input input, #modal .input textarea, #modal .input select { width: 100%; box-sizing: border-box; padding: 6px; }
  #modal .hint { color: #888; font-size: 12px; }
  #modal .input label.checkbox { display: block; font-weight: 400; margin: 3px 0; }
  #modal .input label.checkbox input { width: auto; margin-right: 6px; }
  .field-error { color: #e01e5a; font-size: 12px; }
  #modal footer { text-align: right; margin-top: 12px; }
  #status { color: #e01e5a; padding: 0 10px; font-size: 12px; }
  #rate-limits { font-size: 11px; color: #bbb; margin-top: 14px; }
</style></head>
<body>
<nav>
  <h1>Ladder · local Slack</h1>
  <label for="acting-user">You are</label>
  <select id="acting-user"></select>
  <input id="acting-user-other" placeholder="or type a user id, e.g. U0ADMIN01">
  <label>App</label>
  <a id="home-tab" title="Your App Home: what waits on you (opening it asks the app to publish it)">Home</a>
  <label>Channels</label>
  <div id="channels"></div>
  <p id="rate-limits" title="Slack's Web API rate limits; GET /emulator/rate-limits has the details"></p>
</nav>
<main>
  <div id="messages"></div>
  <div id="status"></div>
  <form id="composer-form"><input id="composer" placeholder="/ladder help" autocomplete="off"><button type="submit">Send</button></form>
</main>
<div id="modal-backdrop"><div id="modal"></div></div>
<script>
const state = { user: localStorage.getItem('ladder-user') || '', channel: localStorage.getItem('ladder-channel') || '', tab: 'channel', last: '', viewKey: '' };
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
// Slack's mrkdwn: a raw <…> is a link or mention; &amp; &lt; &gt; are the only entities and show as
// the characters (what Ladder escapes shows as text, not markup). Everything becomes text in the page.
function control(inner) {
  const link = /^(https?:\\/\\/[^|\\s]+)(?:\\|([\\s\\S]*))?$/.exec(inner);
  if (link) return '<a href="' + esc(link[1]) + '" target="_blank" rel="noopener">' + escText(link[2] === undefined ? link[1] : link[2]) + '</a>';
  const user = /^@([A-Z0-9]+)(?:\\|[^>]*)?$/.exec(inner);
  if (user) return '<b>@' + user[1] + '</b>';
  const special = /^!(channel|here|everyone)(?:\\|[^>]*)?$/.exec(inner);
  if (special) return '<b>@' + special[1] + '</b>';
  const channel = /^#([A-Z0-9]+)(?:\\|([^>]*))?$/.exec(inner);
  if (channel) return '<b>#' + escText(channel[2] || channel[1]) + '</b>';
  return escText('<' + inner + '>');
}
// Text with Slack's three entities kept as entities (so they show as & < >) and everything else escaped.
const escText = (s) => esc(s).replace(/&amp;(amp|lt|gt);/g, '&$1;');
function mrkdwn(text) {
  const controls = [];
  let s = String(text ?? '').replace(/[\\uE000\\uE001]/g, '');
  s = s.replace(/<([^<>]*)>/g, (_, inner) => '\\uE000' + (controls.push(control(inner)) - 1) + '\\uE001');
  s = escText(s);
  s = s.replace(/\`\`\`([\\s\\S]*?)\`\`\`/g, (_, c) => '<pre>' + c + '</pre>');
  s = s.replace(/\`([^\`]+)\`/g, '<code>$1</code>');
  s = s.replace(/(^|\\W)\\*([^*\\n]+)\\*/g, '$1<b>$2</b>');
  s = s.replace(/(^|\\W)_([^_\\n]+)_/g, '$1<i>$2</i>');
  s = s.replace(/(^|\\W)~([^~\\n]+)~/g, '$1<s>$2</s>');
  s = s.replace(/\\uE000(\\d+)\\uE001/g, (_, i) => controls[Number(i)]);
  return s.replace(/\\n/g, '<br>');
}
// Slack draws :shortcode: as its emoji in mrkdwn and in plain_text; a name it does not know stays text.
const EMOJI = ${JSON.stringify(EMULATOR_EMOJI)};
const emoji = (html) => html.replace(/:([a-z0-9_+-]+):/g, (all, name) => (Object.hasOwn(EMOJI, name) ? EMOJI[name] : all));
const textOf = (t) => (t ? emoji(t.type === 'mrkdwn' ? mrkdwn(t.text) : esc(t.text)) : '');
const buttonHtml = (e, message, index) =>
  '<button class="' + esc(e.style || '') + '" data-action-id="' + esc(e.action_id) + '" data-ts="' + esc(message.ts) + '" data-block="' + index + '" data-value="' + esc(e.value || '') + '">' + esc(e.text && e.text.text) + '</button>';
function renderBlock(b, message, index) {
  switch (b.type) {
    case 'header': return '<div class="header">' + textOf(b.text) + '</div>';
    case 'section': return '<div class="section">' + textOf(b.text) + (b.fields || []).map((f) => '<div>' + textOf(f) + '</div>').join('') +
      (b.accessory && b.accessory.type === 'button' ? '<div class="actions">' + buttonHtml(b.accessory, message, index) + '</div>' : '') + '</div>';
    case 'context': return '<div class="context">' + (b.elements || []).map((e) => '<span>' + (e.type === 'image' ? '' : textOf(e)) + '</span>').join('') + '</div>';
    case 'divider': return '<hr>';
    case 'actions': return '<div class="actions">' + (b.elements || []).filter((e) => e.type === 'button').map((e) => buttonHtml(e, message, index)).join('') + '</div>';
    default: return '<div class="meta">[' + esc(b.type) + ' block]</div>';
  }
}
function renderMessage(m) {
  const body = m.blocks && m.blocks.length ? m.blocks.map((b, i) => renderBlock(b, m, i)).join('') : emoji(mrkdwn(m.text));
  return '<div class="message' + (m.ephemeralTo ? ' ephemeral' : '') + '" data-ts="' + esc(m.ts) + '">' +
    '<div class="meta">' + (m.ephemeralTo ? 'Only visible to you · ' : 'Ladder · ') + esc(m.ts) + (m.edits ? ' · edited' : '') + '</div>' + body + '</div>';
}
// The App Home as the app published it, drawn with the same blocks as a message.
function renderHome(home) {
  if (!state.user) return '<p class="meta">Choose who you are to open your Home.</p>';
  if (!home) return '<p class="meta">Opening your Home… (the app has not published one yet)</p>';
  return '<div class="home" data-view-id="' + esc(home.id) + '"><div class="meta">Home · Ladder</div>' + (home.view.blocks || []).map((b, i) => renderBlock(b, { ts: '' }, i)).join('') + '</div>';
}
function openHome() { state.tab = 'home'; state.last = ''; void post('/emulator/home', {}); }
function renderInput(b, errors) {
  const e = b.element || {};
  const id = esc(b.block_id);
  let field;
  if (e.type === 'static_select') {
    const initial = e.initial_option ? e.initial_option.value : '';
    field = '<select name="' + id + '"><option value="">Choose…</option>' + (e.options || []).map((o) =>
      '<option value="' + esc(o.value) + '"' + (o.value === initial ? ' selected' : '') + '>' + esc(o.text.text) + '</option>').join('') + '</select>';
  } else if (e.type === 'checkboxes') {
    const initial = (e.initial_options || []).map((o) => o.value);
    field = '<div class="checkboxes">' + (e.options || []).map((o) =>
      '<label class="checkbox"><input type="checkbox" name="' + id + '" value="' + esc(o.value) + '"' + (initial.includes(o.value) ? ' checked' : '') + '> ' +
      textOf(o.text) + (o.description ? ' <span class="hint">' + textOf(o.description) + '</span>' : '') + '</label>').join('') + '</div>';
  } else if (e.multiline) {
    field = '<textarea rows="4" name="' + id + '">' + esc(e.initial_value || '') + '</textarea>';
  } else {
    field = '<input name="' + id + '" value="' + esc(e.initial_value || '') + '">';
  }
  return '<div class="input" data-block-id="' + id + '"><label>' + esc(b.label.text) + (b.optional ? ' (optional)' : '') + '</label>' + field +
    (b.hint ? '<div class="hint">' + esc(b.hint.text) + '</div>' : '') +
    (errors[b.block_id] ? '<div class="field-error">' + esc(errors[b.block_id]) + '</div>' : '') + '</div>';
}
function renderModal(view) {
  const key = view ? view.id + ':' + view.hash + ':' + JSON.stringify(view.errors) : '';
  if (key === state.viewKey) return;
  // Keep what the person typed when only the errors changed.
  const typed = {};
  const ticked = new Set();
  document.querySelectorAll('#modal [name]').forEach((el) => { if (el.type === 'checkbox') { if (el.checked) ticked.add(el.name + '\u0000' + el.value); } else typed[el.name] = el.value; });
  const sameView = view && state.viewKey.startsWith(view.id + ':' + view.hash + ':');
  state.viewKey = key;
  if (!view) { $('modal-backdrop').style.display = 'none'; $('modal').innerHTML = ''; return; }
  const v = view.view;
  $('modal').innerHTML = '<h2>' + esc(v.title && v.title.text) + '</h2>' + (view.errors[''] ? '<div class="field-error">' + esc(view.errors['']) + '</div>' : '') +
    '<form id="modal-form">' + (v.blocks || []).map((b) => (b.type === 'input' ? renderInput(b, view.errors) : renderBlock(b, {}))).join('') +
    '<footer><button type="button" id="modal-close">' + esc((v.close && v.close.text) || 'Cancel') + '</button> ' +
    (v.submit ? '<button type="submit" id="modal-submit">' + esc(v.submit.text) + '</button>' : '') + '</footer></form>';
  if (sameView) {
    Object.entries(typed).forEach(([name, value]) => { const el = document.querySelector('#modal [name="' + name + '"]'); if (el) el.value = value; });
    document.querySelectorAll('#modal input[type=checkbox]').forEach((el) => { el.checked = ticked.has(el.name + '\u0000' + el.value); });
  }
  $('modal-backdrop').style.display = 'flex';
}
async function post(path, payload) {
  $('status').textContent = '';
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: state.user, ...payload }) });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) $('status').textContent = body.error || ('error ' + res.status);
  await refresh();
  return body;
}
async function refresh() {
  const res = await fetch('/emulator/state?user=' + encodeURIComponent(state.user));
  const data = await res.json();
  const users = $('acting-user');
  const options = '<option value="">Choose a person…</option>' + data.users.map((u) => '<option value="' + esc(u.id) + '">' + esc(u.label || u.name + ' (' + u.id + ')') + '</option>').join('');
  if (users.dataset.options !== options) { users.innerHTML = options; users.dataset.options = options; }
  users.value = data.users.some((u) => u.id === state.user) ? state.user : '';
  if (!state.channel && data.channels.length) state.channel = data.channels[0].id;
  const home = state.tab === 'home' ? await fetch('/emulator/home?user=' + encodeURIComponent(state.user)).then((r) => r.json()) : null;
  const snapshot = JSON.stringify([state.tab, state.channel, data.channels, home && home.home]);
  if (snapshot !== state.last) {
    state.last = snapshot;
    $('home-tab').className = state.tab === 'home' ? 'active' : '';
    $('channels').innerHTML = data.channels.map((c) => '<a data-channel="' + esc(c.name) + '" data-id="' + esc(c.id) + '" class="' + (state.tab === 'channel' && c.id === state.channel ? 'active' : '') + '">' + esc(c.name) + ' <small>' + c.messages.length + '</small></a>').join('');
    if (home) {
      $('messages').innerHTML = renderHome(home.home);
      $('messages').scrollTop = 0;
    } else {
      const channel = data.channels.find((c) => c.id === state.channel);
      $('messages').innerHTML = channel ? channel.messages.map(renderMessage).join('') : '<p class="meta">No channel yet: type /ladder help below.</p>';
      $('messages').scrollTop = $('messages').scrollHeight;
    }
  }
  renderModal(data.view);
  const limits = data.rateLimits;
  $('rate-limits').textContent = 'Rate limits ' + (limits.enabled ? 'on' : 'off') + (limits.limited ? ' · ' + limits.limited + ' calls refused (429)' : '');
}
function setUser(id) { state.user = id; localStorage.setItem('ladder-user', id); state.last = ''; state.viewKey = ''; if (state.tab === 'home' && id) openHome(); else void refresh(); }
$('acting-user').addEventListener('change', (e) => setUser(e.target.value));
$('acting-user-other').addEventListener('change', (e) => setUser(e.target.value.trim()));
$('home-tab').addEventListener('click', () => { if (state.user) openHome(); else $('status').textContent = 'Choose who you are first: each person has their own Home.'; });
$('channels').addEventListener('click', (e) => { const a = e.target.closest('a'); if (a) { state.tab = 'channel'; state.channel = a.dataset.id; localStorage.setItem('ladder-channel', state.channel); state.last = ''; void refresh(); } });
$('messages').addEventListener('click', (e) => {
  const b = e.target.closest('button[data-action-id]');
  if (!b) return;
  const which = { actionId: b.dataset.actionId, block: Number(b.dataset.block), value: b.dataset.value || undefined };
  void post(state.tab === 'home' ? '/emulator/home-click' : '/emulator/click', state.tab === 'home' ? which : { channel: state.channel, ts: b.dataset.ts, ...which });
});
$('composer-form').addEventListener('submit', (e) => { e.preventDefault(); const text = $('composer').value; $('composer').value = ''; void post('/emulator/command', { channel: state.channel || '#general', text }); });
$('modal').addEventListener('click', (e) => { if (e.target.id === 'modal-close') void post('/emulator/close', {}); });
$('modal').addEventListener('submit', (e) => {
  e.preventDefault();
  const values = {};
  document.querySelectorAll('#modal [name]').forEach((el) => {
    if (el.type !== 'checkbox') values[el.name] = el.value;
    else { values[el.name] = values[el.name] || []; if (el.checked) values[el.name].push(el.value); }
  });
  void post('/emulator/submit', { values });
});
void refresh();
setInterval(() => void refresh(), 700);
</script></body></html>`;
}
