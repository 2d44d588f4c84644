// The saved conversations, newest first, grouped by day; selecting and deleting.

import { h, $ } from '../dom.js';
import { t } from '../i18n.js';

const DAY = 24 * 60 * 60 * 1000;

function groupOf(ts, now = new Date()) {
  const startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  if (ts >= startOfToday) return t('sidebar.today');
  if (ts >= startOfToday - DAY) return t('sidebar.yesterday');
  return t('sidebar.earlier');
}

function when(ts) {
  const d = new Date(ts);
  const sameDay = new Date().toDateString() === d.toDateString();
  return sameDay
    ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
}

export function renderSidebar({ conversations, currentId, pendingIds }, { onSelect, onDelete }) {
  const list = $('[data-testid="conversation-list"]');
  list.replaceChildren();
  if (!conversations.length) {
    list.append(h('p', { class: 'sidebar-empty' }, t('sidebar.empty')));
    return;
  }
  let lastGroup = null;
  for (const c of conversations) {
    const group = groupOf(c.updatedAt);
    if (group !== lastGroup) {
      list.append(h('div', { class: 'group-label' }, group));
      lastGroup = group;
    }
    const del = h('button', {
      type: 'button', class: 'item-delete', testid: 'conversation-delete',
      title: t('sidebar.delete'), 'aria-label': t('sidebar.delete'),
      onClick: (e) => {
        e.stopPropagation();
        if (del.classList.contains('confirm')) return onDelete(c.id);
        del.classList.add('confirm');
        del.textContent = t('sidebar.confirmDelete');
        setTimeout(() => { del.classList.remove('confirm'); del.replaceChildren(trashIcon()); }, 3000);
      },
    }, trashIcon());
    const item = h('div', {
      class: `conversation-item${c.id === currentId ? ' active' : ''}`,
      testid: 'conversation-item', role: 'button', tabindex: '0',
      'aria-current': c.id === currentId ? 'page' : null,
      dataset: { id: String(c.id) },
      onClick: () => onSelect(c.id),
      onKeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onSelect(c.id); } },
    },
    h('div', { class: 'item-main' },
      h('span', { class: 'item-title', testid: 'conversation-title-text' }, c.title),
      h('span', { class: 'item-meta' },
        pendingIds.has(c.id) ? h('span', { class: 'dot-pending', 'aria-hidden': 'true' }) : null,
        `${when(c.updatedAt)} · ${c.messageCount === 1 ? t('sidebar.oneMessage') : t('sidebar.messages', { n: c.messageCount })}`)),
    del);
    list.append(item);
  }
}

function trashIcon() {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const p = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  p.setAttribute('d', 'M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3');
  svg.append(p);
  return svg;
}
