// The update card at the top of the conversation: shown when the start-up check found a
// newer version, with its release notes as plain text. "Install and restart" downloads
// it (with progress), and the backend installs it only if its signature verifies;
// "Later" hides the card until the next start. A check that was skipped or failed shows
// nothing (the backend logs why). The card is never modal: the app works around it.
// `document.body.dataset.updateCheck` says how the check ended (tests wait on it).

import * as api from '../api.js';
import { $, formatBytes } from '../dom.js';
import { t } from '../i18n.js';

const part = (id) => $(`[data-testid="update-${id}"]`);
let installing = false;

/** Wires the card and runs the check; never throws, never delays anything. */
export async function initUpdates() {
  part('install').addEventListener('click', install);
  part('later').addEventListener('click', () => { part('banner').hidden = true; });
  let result;
  try {
    result = await api.checkForUpdate();
  } catch (e) {
    console.warn('update check', e);
    result = { status: 'failed' };
  }
  if (result.status === 'available') show(result);
  document.body.dataset.updateCheck = result.status;
}

function show({ version, currentVersion, notes }) {
  part('version').textContent = t('update.available', { version });
  part('current').textContent = t('update.current', { version: currentVersion });
  const text = (notes || '').trim();
  part('notes').textContent = text; // text, never markup
  part('notes').hidden = !text;
  part('progress').hidden = true;
  setError(null);
  part('banner').hidden = false;
}

function setError(error) {
  const slot = part('error');
  slot.hidden = !error;
  slot.textContent = error ? error.message || String(error) : '';
  if (error) slot.dataset.code = error.code || 'internal';
  else delete slot.dataset.code;
}

function setProgress(text, percent = null) {
  const box = part('progress');
  const bar = box.querySelector('progress');
  if (percent == null) bar.removeAttribute('value');
  else bar.value = percent;
  box.querySelector('span').textContent = text;
  box.hidden = false;
}

async function install() {
  if (installing) return;
  installing = true;
  part('install').disabled = true;
  part('later').disabled = true;
  setError(null);
  setProgress(t('update.downloading', { pct: 0 }), 0);
  let retry = true;
  try {
    await api.installUpdate((event) => {
      if (event.type === 'progress') {
        const pct = event.total ? Math.min(100, Math.floor((event.downloaded * 100) / event.total)) : null;
        setProgress(pct == null
          ? t('update.downloadingSize', { size: formatBytes(event.downloaded) })
          : t('update.downloading', { pct }), pct);
      } else if (event.type === 'installing') {
        setProgress(t('update.installing'));
      } else if (event.type === 'restarting') {
        setProgress(t('update.restarting'), 100);
        retry = false;
      }
    });
  } catch (e) {
    part('progress').hidden = true;
    setError(typeof e === 'object' && e ? e : { code: 'internal', message: String(e) });
    // Only what may go better next time is offered again (a refused signature is not).
    retry = Boolean(e?.retryable);
  } finally {
    installing = false;
    part('install').disabled = !retry;
    part('later').disabled = false;
  }
}
