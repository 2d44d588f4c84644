// Short notices in the corner (settings saved, a file moved aside at start-up), with
// an optional action button (Undo) and a callback when the notice goes away.

import { h, $ } from '../dom.js';
import { t } from '../i18n.js';

/** `action`: { label, testid, run } — clicking it closes the toast with reason 'action'.
 *  `onClose(reason)`: 'action' | 'timeout' | 'dismissed'. Returns { close }. */
export function toast(message, { kind = 'info', timeout = 5000, action = null, onClose = null } = {}) {
  let timer = 0;
  const close = (reason) => {
    if (!el.isConnected) return;
    clearTimeout(timer);
    el.remove();
    if (onClose) onClose(reason);
  };
  const actionButton = action
    ? h('button', { type: 'button', class: 'ghost small toast-action', testid: action.testid, onClick: () => { close('action'); action.run(); } }, action.label)
    : null;
  const dismiss = h('button', { type: 'button', class: 'icon-button', 'aria-label': t('toast.close'), onClick: () => close('dismissed') }, '×');
  const el = h('div', { class: `toast ${kind}`, testid: 'toast', role: kind === 'error' ? 'alert' : 'status' },
    h('span', {}, message), actionButton, dismiss);
  $('[data-testid="toasts"]').append(el);
  if (timeout) timer = setTimeout(() => close('timeout'), timeout);
  return { close: () => close('dismissed') };
}
