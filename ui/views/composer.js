// The composer: multi-line input (Enter sends, Shift+Enter breaks the line, Up when it
// is empty edits the last question), the attachment chip, the model picker, and the
// composer's own error line.

import { $, formatBytes } from '../dom.js';
import { t } from '../i18n.js';
import { imageUrl } from '../api.js';

const input = () => $('[data-testid="composer-input"]');
let attachment = null;
let contextImage = null; // the picture a follow-up sends again; hidden under an attachment

/** onDropContext(): the person took the context picture out of the next questions.
 *  onEditLast() -> boolean: Up in the empty composer opened the last question's editor. */
export function initComposer({ onSend, onAttach, onModel, onDropContext, onEditLast }) {
  const form = $('[data-testid="composer"]');
  form.addEventListener('submit', (e) => { e.preventDefault(); onSend(); });
  input().addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); onSend(); }
    else if (e.key === 'ArrowUp' && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey
      && !input().value && !attachment && onEditLast()) e.preventDefault();
  });
  input().addEventListener('input', autosize);
  $('[data-testid="attach-button"]').addEventListener('click', onAttach);
  $('[data-testid="attachment-remove"]').addEventListener('click', () => setAttachment(null));
  $('[data-testid="context-image-remove"]').addEventListener('click', () => {
    setContextImage(null);
    onDropContext();
    input().focus();
  });
  $('[data-testid="model-picker"]').addEventListener('change', (e) => onModel(e.target.value));
}

function autosize() {
  const el = input();
  el.style.height = 'auto';
  el.style.height = `${Math.min(el.scrollHeight, 240)}px`;
}

export function getDraft() {
  return { text: input().value, image: attachment };
}

export function clearDraft() {
  input().value = '';
  // Empty, the field is its one row high (rows="1"): nothing to measure, no layout forced.
  input().style.height = '';
  setAttachment(null);
}

export function setText(text) {
  input().value = text;
  autosize();
  input().focus();
}

export function focusInput() {
  input().focus();
}

/** `preparation` (from the backend, when the image was just attached): what was done to
 *  it before sending, said beside its size ("scaled down from 4000 × 3000"). */
export function setAttachment(image, preparation = null) {
  attachment = image;
  const chip = $('[data-testid="attachment-chip"]');
  chip.hidden = !image;
  showContextImage();
  if (image) {
    $('[data-testid="attachment-thumb"]').src = imageUrl(image.file);
    chip.querySelector('.attachment-name').textContent = image.name;
    const size = $('[data-testid="attachment-size"]');
    size.textContent = [formatBytes(image.size), ...preparationNotes(preparation)].join(' · ');
    size.title = preparation?.resized
      ? t('composer.resizedTitle', { w: preparation.originalWidth, h: preparation.originalHeight, size: formatBytes(preparation.originalSize) })
      : '';
    showComposerError(null);
  }
}

/** The picture the next question sends again unless it has its own (`null`: none). */
export function setContextImage(image) {
  contextImage = image;
  if (image) {
    $('[data-testid="context-image-thumb"]').src = imageUrl(image.file);
    $('[data-testid="context-image-name"]').textContent = image.name;
  }
  showContextImage();
}

function showContextImage() {
  $('[data-testid="context-image-chip"]').hidden = !contextImage || !!attachment;
}

function preparationNotes(p) {
  if (!p) return [];
  const notes = [];
  if (p.resized) notes.push(t('composer.resized', { w: p.width, h: p.height }));
  else if (p.rotated) notes.push(t('composer.rotated'));
  if (p.metadataRemoved) notes.push(t('composer.metadataRemoved'));
  return notes;
}

/** A message under the composer: an error (`kind` 'error') or a note ('info'). */
export function showComposerError(message, kind = 'error') {
  const el = $('[data-testid="composer-error"]');
  el.hidden = !message;
  el.textContent = message || '';
  el.dataset.kind = kind;
}

export function setBusy(busy) {
  $('[data-testid="send-button"]').disabled = busy;
  $('[data-testid="send-button"]').title = busy ? t('composer.busy') : t('composer.send');
}

export function setModels(models, current) {
  const picker = $('[data-testid="model-picker"]');
  picker.replaceChildren(...models.map((m) => new Option(m, m, false, m === current)));
}
