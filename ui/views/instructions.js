// Instructions for one conversation (its system prompt): a dialog opened from the
// conversation's header. The text is kept by the backend as the conversation's system
// message and sent first with every question (see commands::chat::prompt_for).

import { h, errorText, panel, showPanel } from '../dom.js';
import { t, translate } from '../i18n.js';
import { getInstructions } from '../api.js';

const MAX = 4000;
let dialog;
let input;
let count;
let error;
let target = null; // the conversation being edited
let save;

/** onSave(conversationId, text) -> Promise (rejects with the backend's error). */
export function initInstructions({ onSave }) {
  save = onSave;
  input = h('textarea', {
    testid: 'instructions-input', rows: '6', maxlength: String(MAX), spellcheck: 'true',
    'data-i18n-placeholder': 'instructions.placeholder', 'aria-describedby': 'instructions-help',
    onInput: counted,
  });
  count = h('small', { class: 'help instructions-count', testid: 'instructions-count' });
  error = h('small', { class: 'error', testid: 'instructions-error', role: 'alert' });
  dialog = panel('instructions', 'instructions.title',
    h('p', { class: 'about-text', id: 'instructions-help', 'data-i18n': 'instructions.help' }),
    h('label', { class: 'field' }, h('span', { 'data-i18n': 'instructions.label' }), input, count, error),
    h('div', { class: 'row instructions-actions' },
      h('button', { type: 'button', class: 'ghost small outlined', testid: 'instructions-remove', 'data-i18n': 'instructions.remove', onClick: () => submit('') }),
      h('span', { class: 'spacer' }),
      h('button', { type: 'button', class: 'primary', testid: 'instructions-save', 'data-i18n': 'instructions.save', onClick: () => submit(input.value) })));
  document.body.append(dialog);
  translate(dialog);
}

function counted() {
  count.textContent = t('instructions.count', { n: input.value.length, max: MAX });
}

/** Opens the dialog for conversation `id` with its instructions as saved. */
export async function openInstructions(id) {
  target = id;
  error.textContent = '';
  input.value = '';
  try {
    input.value = await getInstructions(id);
  } catch (e) {
    error.textContent = errorText(e);
  }
  counted();
  showPanel(dialog, input);
}

async function submit(text) {
  error.textContent = '';
  try {
    await save(target, text);
    dialog.close();
  } catch (e) {
    error.textContent = errorText(e);
  }
}
