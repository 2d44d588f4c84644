// The settings dialog: fills the form, shows each field's error from the backend,
// and hands the edited settings back for validation and saving in Rust. Its History
// section hands export, import and clear-all (after a confirming second button) to main.js.
// The proxy password is never shown: the backend says whether one is saved, and the
// dialog sends only what to do with it (replace, remove, or nothing: keep).
// "Test connection" tries the proxy as the form stands, unsaved; "Open logs folder" asks
// the backend to show its own logs folder.

import * as api from '../api.js';
import { $ } from '../dom.js';
import { hasOwn, t } from '../i18n.js';

const dialog = () => $('[data-testid="settings-dialog"]');
const field = (id) => $(`[data-testid="settings-${id}"]`);
let current = null;
let defaults = null;
/** The saved password as the backend reported it, and what this dialog will do to it:
 *  'keep' (or nothing saved), 'replace' (the field is open), 'remove'. */
let password = { saved: false, storage: 'none', problem: null, intent: 'keep', probed: false };

const MB = 1024 * 1024;

/** onSave(settings); history: onExport(format), onImport(), onClear(), count() -> n. */
export function initSettings({ onSave, onExport, onImport, onClear, count }) {
  field('export-markdown').addEventListener('click', () => onExport('markdown'));
  field('export-json').addEventListener('click', () => onExport('json'));
  field('import').addEventListener('click', () => onImport());
  field('clear-history').addEventListener('click', () => {
    const confirm = field('clear-history-confirm');
    confirm.textContent = t('settings.clearConfirm', { n: count() });
    confirm.hidden = !confirm.hidden;
    if (!confirm.hidden) confirm.focus();
  });
  field('clear-history-confirm').addEventListener('click', async () => {
    field('clear-history-confirm').hidden = true;
    await onClear();
  });
  field('form').addEventListener('submit', async (e) => {
    e.preventDefault();
    await onSave(read());
  });
  field('cancel').addEventListener('click', () => dialog().close());
  field('reset').addEventListener('click', () => {
    fill({ ...defaults, proxy: { ...defaults.proxy } });
    setIntent('remove'); // the defaults have no proxy
  });
  field('model-add').addEventListener('click', addModel);
  field('model-custom').addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); addModel(); } });
  field('model-remove').addEventListener('click', () => {
    const select = field('model');
    if (select.options.length > 1) select.remove(select.selectedIndex);
  });
  field('proxy-password-replace').addEventListener('click', () => {
    setIntent('replace');
    field('proxy-password').focus();
  });
  field('proxy-password-remove').addEventListener('click', () => setIntent('remove'));
  field('proxy-password-undo').addEventListener('click', () => setIntent('keep'));
  field('proxy-password-keep').addEventListener('click', () => setIntent('keep'));
  field('proxy-password').addEventListener('focus', probeKeyring);
  field('proxy-test').addEventListener('click', testProxy);
  $('[data-testid="open-logs-folder"]').addEventListener('click', openLogsFolder);
  // A typed password stays in the page no longer than the dialog is open.
  dialog().addEventListener('close', () => { field('proxy-password').value = ''; });
}

/** Asks once per opening, when a password is about to be typed, whether the keyring
 *  answers, so the person knows beforehand if it would be kept for this session only. */
async function probeKeyring() {
  if (password.probed) return;
  password.probed = true;
  try {
    const status = await api.checkKeyring();
    if (!status.available) {
      field('proxy-password-note').textContent = t('settings.passwordNoKeyring', { reason: status.problem });
    }
  } catch {
    // Not knowing is fine: the save still keeps the password out of the file.
  }
}

/** Tries the proxy with the form's values and says what happened, in words. */
async function testProxy() {
  const button = field('proxy-test');
  const result = field('proxy-test-result');
  button.disabled = true;
  result.textContent = t('settings.proxyTesting');
  result.title = '';
  try {
    const report = await api.testProxy(read());
    showErrors([]);
    result.textContent = report.message;
    result.title = report.details || '';
  } catch (e) {
    if (e?.fields?.length) showErrors(e.fields);
    result.textContent = t('settings.proxyTestFailed', { reason: e?.message ?? String(e) });
  } finally {
    button.disabled = false;
  }
}

async function openLogsFolder() {
  const result = $('[data-testid="open-logs-folder-result"]');
  result.textContent = '';
  try {
    await api.openLogsFolder();
  } catch (e) {
    result.textContent = t('settings.openLogsFailed', { reason: e?.message ?? String(e) });
  }
}

function setIntent(intent) {
  password.intent = password.saved ? intent : 'keep';
  renderPassword();
}

function renderPassword() {
  const { saved, storage, problem, intent } = password;
  const editing = !saved || intent === 'replace';
  field('proxy-password-saved').hidden = editing;
  field('proxy-password-edit').hidden = !editing;
  field('proxy-password-keep').hidden = !(saved && intent === 'replace');
  field('proxy-password-replace').hidden = intent === 'remove';
  field('proxy-password-remove').hidden = intent === 'remove';
  field('proxy-password-undo').hidden = intent !== 'remove';
  if (!editing) field('proxy-password').value = '';
  field('proxy-password-status').textContent = intent === 'remove'
    ? t('settings.passwordWillBeRemoved')
    : t(storage === 'session' ? 'settings.passwordSession' : 'settings.passwordSaved');
  field('proxy-password-note').textContent = problem
    ? t('settings.passwordNoKeyring', { reason: problem })
    : t('settings.passwordHelp');
}

/** What to do with the saved password, for `saveSettings`; `undefined` keeps it. */
function passwordChange() {
  if (password.intent === 'remove') return { action: 'remove' };
  const typed = field('proxy-password').value;
  if ((!password.saved || password.intent === 'replace') && typed) return { action: 'replace', password: typed };
  return undefined;
}

function addModel() {
  const input = field('model-custom');
  const id = input.value.trim();
  if (!id) return;
  const select = field('model');
  if (![...select.options].some((o) => o.value === id)) select.append(new Option(id, id));
  select.value = id;
  input.value = '';
}

export function openSettings(view, dataDir) {
  current = view.settings;
  defaults = view.defaults;
  password = {
    saved: view.passwordSaved, storage: view.passwordStorage, problem: view.keyringProblem,
    intent: 'keep', probed: false,
  };
  fill(current);
  field('proxy-password').value = '';
  renderPassword();
  const override = field('endpoint-override');
  override.hidden = !view.endpointOverride;
  override.textContent = view.endpointOverride ? t('settings.endpointOverride', { url: view.endpointOverride }) : '';
  field('data-dir').textContent = t('settings.dataDir', { path: dataDir });
  field('clear-history-confirm').hidden = true;
  field('proxy-test-result').textContent = '';
  $('[data-testid="open-logs-folder-result"]').textContent = '';
  showErrors([]);
  dialog().showModal();
  field('endpoint').focus();
}

export function closeSettings() {
  dialog().close();
}

function fill(s) {
  field('endpoint').value = s.endpoint;
  field('model').replaceChildren(...s.models.map((m) => new Option(m, m, false, m === s.model)));
  field('proxy').value = s.proxy.url;
  field('proxy-username').value = s.proxy.username;
  field('connect-timeout').value = s.connectTimeoutSecs;
  field('retry-attempts').value = s.retryAttempts;
  field('retry-max-wait').value = s.retryMaxWaitSecs;
  field('request-timeout').value = s.requestTimeoutSecs;
  field('max-prompt').value = s.maxPromptChars;
  field('image-max-side').value = s.imageMaxSide;
  field('image-max-mb').value = Math.round((s.imageMaxBytes / MB) * 100) / 100;
  field('image-keep-metadata').checked = s.imageKeepMetadata;
  field('resend-image').checked = s.resendImage;
  field('check-updates').checked = s.checkForUpdates;
  field('theme').value = s.theme;
  field('language').value = s.language;
}

function read() {
  // What is not a number reaches the backend as 0, which its validation names.
  const num = (id) => {
    const v = field(id).value.trim();
    return /^\d+$/.test(v) ? Number(v) : 0;
  };
  const megabytes = (id) => {
    const v = field(id).value.trim().replace(',', '.');
    return /^\d*\.?\d+$/.test(v) ? Math.round(Number(v) * MB) : 0;
  };
  return {
    ...current,
    endpoint: field('endpoint').value,
    model: field('model').value,
    models: [...field('model').options].map((o) => o.value),
    proxy: { url: field('proxy').value, username: field('proxy-username').value },
    proxyPassword: passwordChange(),
    connectTimeoutSecs: num('connect-timeout'),
    retryAttempts: num('retry-attempts'),
    retryMaxWaitSecs: num('retry-max-wait'),
    requestTimeoutSecs: num('request-timeout'),
    maxPromptChars: num('max-prompt'),
    imageMaxSide: num('image-max-side'),
    imageMaxBytes: megabytes('image-max-mb'),
    imageKeepMetadata: field('image-keep-metadata').checked,
    resendImage: field('resend-image').checked,
    checkForUpdates: field('check-updates').checked,
    theme: field('theme').value,
    language: field('language').value,
  };
}

/** A field error in the interface's language: as `errorText` does for other errors,
 *  `fieldErrors.<code>` when the language has its own string, else the backend's English
 *  `message`. A plural string's form follows `max`, the number its unit word comes after. */
function fieldErrorText({ code, params = {}, message }) {
  if (typeof code === 'string' && hasOwn(`fieldErrors.${code}`)) {
    return t(`fieldErrors.${code}`, { n: params.max, ...params });
  }
  return message;
}

/** `errors`: [{ field, code?, params?, message }] from the backend's validation. */
export function showErrors(errors) {
  for (const el of dialog().querySelectorAll('.error')) { el.textContent = ''; el.title = ''; }
  for (const el of dialog().querySelectorAll('.invalid')) el.classList.remove('invalid');
  for (const error of errors) {
    const slot = $(`[data-testid="settings-error-${error.field}"]`);
    if (slot) {
      slot.textContent = fieldErrorText(error);
      // Translated, the English sentence (with any library's words) stays at hand.
      slot.title = slot.textContent === error.message ? '' : error.message;
      slot.closest('.field')?.querySelector('input, select')?.classList.add('invalid');
    }
  }
  const first = dialog().querySelector('.invalid');
  if (first) first.focus();
}

