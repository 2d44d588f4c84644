// A windowed list with fixed row heights: rows are absolutely placed (translateY)
// inside a spacer sized to the whole list, and only the rows in view plus a margin
// exist in the DOM. Nodes are keyed by `row.key` and reused while their row lives;
// a node holding the keyboard focus is kept even when scrolled away.

export class VList {
  /** heightOf(row) -> px; create(row) -> Element; update(el, row) fills it;
   *  onRange(first, last, count) after each render (for paging). */
  constructor(scroller, { heightOf, create, update, onRange = () => {}, margin = 480 }) {
    Object.assign(this, { scroller, heightOf, create, update, onRange, margin });
    this.rows = [];
    this.offsets = [0];
    this.index = new Map(); // key -> row index
    this.nodes = new Map(); // key -> element
    this.extra = 0;
    // Not read from the scroller, which would lay the page out in the middle of the start:
    // the window's height bounds the list's (rows enough for the first paint), and the
    // observer below corrects both once the page is laid out.
    this.viewport = window.innerHeight;
    this.spacer = document.createElement('div');
    this.spacer.className = 'vlist-spacer';
    scroller.append(this.spacer);
    this.frame = 0;
    // The scroll position as last seen: reading it from the scroller would lay the page
    // out at once whenever something changed before (a new row, a status).
    this.top = 0;
    scroller.addEventListener('scroll', () => { this.top = this.scroller.scrollTop; this.schedule(); }, { passive: true });
    // Also when the list is shown again after being hidden (search, a folded sidebar),
    // which may have reset its scroll position without a scroll event.
    new ResizeObserver(() => {
      this.viewport = this.scroller.clientHeight;
      this.top = this.scroller.scrollTop;
      this.schedule();
    }).observe(scroller);
  }

  /** Replaces the rows (unchanged row objects keep their nodes untouched); `extra`
   *  is blank space after the last row, standing for rows not loaded yet. */
  setRows(rows, extra = 0) {
    this.rows = rows;
    this.extra = extra;
    const offsets = new Array(rows.length + 1);
    offsets[0] = 0;
    this.index.clear();
    for (let i = 0; i < rows.length; i++) {
      offsets[i + 1] = offsets[i] + this.heightOf(rows[i]);
      this.index.set(rows[i].key, i);
    }
    this.offsets = offsets;
    this.spacer.style.height = `${offsets[rows.length] + extra}px`;
    this.render();
  }

  get length() { return this.rows.length; }
  indexOf(key) { return this.index.get(key) ?? -1; }
  node(key) { return this.nodes.get(key) || null; }

  /** Fills the node of `key` again (its state changed but not its row object). */
  refresh(key) {
    const el = this.nodes.get(key);
    const i = this.indexOf(key);
    if (el && i >= 0) this.update(el, this.rows[i]);
  }

  schedule() {
    if (!this.frame) this.frame = requestAnimationFrame(() => { this.frame = 0; this.render(); });
  }

  /** The first row whose bottom is below `y`. */
  rowAt(y) {
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.offsets[mid + 1] <= y) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  render() {
    const { top } = this;
    const first = this.rowAt(Math.max(0, top - this.margin));
    const last = Math.min(this.rows.length, this.rowAt(top + this.viewport + this.margin) + 1);
    const live = new Set();
    const focused = document.activeElement;
    for (let i = first; i < last; i++) this.place(i, live);
    for (const [key, el] of this.nodes) {
      if (live.has(key)) continue;
      const i = this.indexOf(key);
      if (i >= 0 && el.contains(focused)) this.place(i, live);
      else { el.remove(); this.nodes.delete(key); }
    }
    this.onRange(first, last, this.rows.length);
  }

  place(i, live) {
    const row = this.rows[i];
    let el = this.nodes.get(row.key);
    if (!el) {
      el = this.create(row);
      this.nodes.set(row.key, el);
      this.spacer.append(el);
      el.vRow = null;
    }
    if (el.vRow !== row) { this.update(el, row); el.vRow = row; }
    const y = this.offsets[i];
    if (el.vY !== y) { el.style.transform = `translateY(${y}px)`; el.vY = y; }
    live.add(row.key);
  }

  /** Scrolls so row `i` is visible ('nearest') or at the top ('start'), then renders. */
  scrollToIndex(i, block = 'nearest') {
    if (i < 0 || i >= this.rows.length) return;
    const top = this.offsets[i];
    const bottom = this.offsets[i + 1];
    const st = this.top;
    if (block === 'start' || top < st) this.scrollTo(top);
    else if (bottom > st + this.viewport) this.scrollTo(bottom - this.viewport);
    this.render();
  }

  scrollTo(y) {
    this.scroller.scrollTop = y;
    this.top = Math.max(0, y);
  }
}
