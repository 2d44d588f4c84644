// The message list: the person's questions (as text), answers (sanitised HTML from Rust),
// the pending answer with its timer, and errors with Retry.

import { h, $ } from '../dom.js';
import { t } from '../i18n.js';
import { imageUrl } from '../api.js';

/** Seconds after which the pending bubble says the free server may be waking up. */
const WAKING_AFTER_S = 5;

export function renderConversation(view, handlers) {
  const list = $('[data-testid="message-list"]');
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  list.replaceChildren();
  $('[data-testid="conversation-title"]').textContent = view.title || t('chat.newTitle');

  if (!view.messages.length && !view.pending) {
    list.append(welcome(handlers.onSuggestion));
    return;
  }
  const column = h('div', { class: 'column' });
  for (const m of view.messages) column.append(message(m));
  if (view.pending) column.append(pending(view.pending, handlers.onCancel));
  else if (view.failure) column.append(failure(view.failure, handlers.onRetry));
  else if (view.messages.at(-1)?.role === 'user') {
    column.append(failure({ code: 'unanswered', message: t('error.unanswered'), retryable: true }, handlers.onRetry));
  }
  list.append(column);
  if (nearBottom || view.scrollToEnd) list.scrollTop = list.scrollHeight;
}

function welcome(onSuggestion) {
  const chips = ['welcome.s1', 'welcome.s2', 'welcome.s3'].map((k) =>
    h('button', { type: 'button', class: 'suggestion', testid: 'suggestion', onClick: () => onSuggestion(t(k)) }, t(k)));
  return h('div', { class: 'welcome', testid: 'welcome' },
    h('img', { src: 'logo.png', alt: '', width: '64', height: '64' }),
    h('h2', {}, t('welcome.title')),
    h('p', {}, t('welcome.body')),
    h('div', { class: 'suggestions' }, chips));
}

function message(m) {
  const isUser = m.role === 'user';
  const body = h('div', { class: 'message-text', testid: 'message-text' });
  if (isUser) body.textContent = m.text;
  else body.innerHTML = m.html; // sanitised by pulldown-cmark + ammonia in Rust
  return h('article', {
    class: `message ${m.role}`, testid: 'message',
    dataset: { role: m.role, id: String(m.id) },
    'aria-label': isUser ? t('message.you') : t('message.assistant'),
  },
  isUser ? null : avatar(),
  h('div', { class: 'bubble' },
    m.image ? h('img', {
      class: 'message-image', testid: 'message-image', loading: 'lazy',
      src: imageUrl(m.image.file), alt: t('message.image', { name: m.image.name }), title: m.image.name,
    }) : null,
    m.text.trim() ? body : null,
    isUser || !m.model ? null : h('div', { class: 'message-meta' }, m.model)));
}

function avatar() {
  return h('img', { class: 'avatar', src: 'logo.png', alt: '', width: '28', height: '28' });
}

function pending(p, onCancel) {
  const label = h('span', { testid: 'pending-elapsed' });
  const waking = h('div', { class: 'pending-waking', testid: 'pending-waking', hidden: true }, t('pending.waking'));
  const tick = () => {
    const s = Math.floor((Date.now() - p.startedAt) / 1000);
    label.textContent = t('pending.waiting', { s });
    waking.hidden = s < WAKING_AFTER_S;
  };
  tick();
  const el = h('article', { class: 'message assistant pending', testid: 'message', dataset: { role: 'pending' } },
    avatar(),
    h('div', { class: 'bubble' },
      h('div', { class: 'pending-row', testid: 'pending' },
        h('span', { class: 'typing', 'aria-hidden': 'true' }, h('i'), h('i'), h('i')),
        label,
        h('button', { type: 'button', class: 'ghost small', testid: 'cancel-button', onClick: onCancel }, t('pending.cancel'))),
      waking));
  const timer = setInterval(() => (el.isConnected ? tick() : clearInterval(timer)), 1000);
  return el;
}

function failure(error, onRetry) {
  const cancelled = error.code === 'cancelled';
  const details = error.details
    ? h('details', { class: 'error-details', testid: 'error-details' },
      h('summary', {}, t('error.details')),
      h('pre', {}, error.details))
    : null;
  return h('article', { class: `message error${cancelled ? ' cancelled' : ''}`, testid: 'message', dataset: { role: 'error', code: error.code } },
    h('div', { class: 'bubble' },
      cancelled || error.code === 'unanswered' ? null : h('strong', { class: 'error-title' }, t('error.title')),
      h('div', { class: 'message-text', testid: 'message-text' }, cancelled ? t('error.cancelled') : error.message),
      details,
      error.retryable === false ? null
        : h('button', { type: 'button', class: 'primary small', testid: 'retry-button', onClick: onRetry }, t('error.retry'))));
}
