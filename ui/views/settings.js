// The settings dialog: fills the form, shows each field's error from the backend,
// and hands the edited settings back for validation and saving in Rust. Its History
// section hands export, import and clear-all (after a confirming second button) to main.js.

import { $ } from '../dom.js';
import { t } from '../i18n.js';

const dialog = () => $('[data-testid="settings-dialog"]');
const field = (id) => $(`[data-testid="settings-${id}"]`);
let current = null;
let defaults = null;

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
  field('reset').addEventListener('click', () => fill({ ...defaults, proxy: { ...defaults.proxy } }));
  field('model-add').addEventListener('click', addModel);
  field('model-custom').addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); addModel(); } });
  field('model-remove').addEventListener('click', () => {
    const select = field('model');
    if (select.options.length > 1) select.remove(select.selectedIndex);
  });
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
  fill(current);
  const override = field('endpoint-override');
  override.hidden = !view.endpointOverride;
  override.textContent = view.endpointOverride ? t('settings.endpointOverride', { url: view.endpointOverride }) : '';
  field('data-dir').textContent = t('settings.dataDir', { path: dataDir });
  field('clear-history-confirm').hidden = true;
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
  field('proxy-password').value = s.proxy.password;
  field('connect-timeout').value = s.connectTimeoutSecs;
  field('request-timeout').value = s.requestTimeoutSecs;
  field('max-prompt').value = s.maxPromptChars;
  field('theme').value = s.theme;
}

function read() {
  const num = (id) => {
    const v = field(id).value.trim();
    return /^\d+$/.test(v) ? Number(v) : 0;
  };
  return {
    ...current,
    endpoint: field('endpoint').value,
    model: field('model').value,
    models: [...field('model').options].map((o) => o.value),
    proxy: { url: field('proxy').value, username: field('proxy-username').value, password: field('proxy-password').value },
    connectTimeoutSecs: num('connect-timeout'),
    requestTimeoutSecs: num('request-timeout'),
    maxPromptChars: num('max-prompt'),
    theme: field('theme').value,
  };
}

/** `errors`: [{ field, message }] from the backend's validation. */
export function showErrors(errors) {
  for (const el of dialog().querySelectorAll('.error')) { el.textContent = ''; }
  for (const el of dialog().querySelectorAll('.invalid')) el.classList.remove('invalid');
  for (const { field: name, message } of errors) {
    const slot = $(`[data-testid="settings-error-${name}"]`);
    if (slot) {
      slot.textContent = message;
      slot.closest('.field')?.querySelector('input, select')?.classList.add('invalid');
    }
  }
  const first = dialog().querySelector('.invalid');
  if (first) first.focus();
}

