// Short notices in the corner (settings saved, a file moved aside at start-up).

import { h, $ } from '../dom.js';
import { t } from '../i18n.js';

export function toast(message, { kind = 'info', timeout = 5000 } = {}) {
  const close = h('button', { type: 'button', class: 'icon-button', 'aria-label': t('toast.close'), onClick: () => el.remove() }, '×');
  const el = h('div', { class: `toast ${kind}`, testid: 'toast', role: kind === 'error' ? 'alert' : 'status' }, h('span', {}, message), close);
  $('[data-testid="toasts"]').append(el);
  if (timeout) setTimeout(() => el.remove(), timeout);
}
