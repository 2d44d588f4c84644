// A picture at full size over the window. Opened by a click (or Enter) on a message's
// image; closed by Esc, a click anywhere, or the close button; focus goes back to the
// image it came from. A modal <dialog>, so focus stays inside while it is open.

import { h, iconButton } from '../dom.js';
import { t } from '../i18n.js';

let dialog = null;
let picture = null;
let caption = null;
let opener = null;

function build() {
  picture = h('img', { class: 'lightbox-image', testid: 'lightbox-image', alt: '' });
  caption = h('div', { class: 'lightbox-caption', testid: 'lightbox-caption' });
  const close = iconButton('close', t('lightbox.close'), { testid: 'lightbox-close', class: 'icon-button lightbox-close', 'data-i18n-title': 'lightbox.close' });
  dialog = h('dialog', { class: 'lightbox', testid: 'lightbox', 'aria-label': t('lightbox.label'), 'data-i18n-aria-label': 'lightbox.label' },
    close, h('figure', {}, picture, caption));
  // Any click closes it: on the picture, the backdrop or the button.
  dialog.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => {
    picture.removeAttribute('src');
    opener?.focus({ preventScroll: true });
    opener = null;
  });
  document.body.append(dialog);
}

/** Shows `img` (a message's <img>) at full size. */
export function openLightbox(img) {
  if (!dialog) build();
  opener = img;
  picture.src = img.currentSrc || img.src;
  picture.alt = img.alt;
  caption.textContent = img.title || '';
  dialog.showModal();
}
