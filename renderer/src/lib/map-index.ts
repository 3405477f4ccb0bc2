// Hit-testing for the latent map: which point lies nearest the pointer, among up to hundreds of
// thousands, answered per pointer event. A uniform grid over the points' bounding box (a counting
// sort, built once per map), searched in rings of cells outward from the pointer's cell.

export class PointIndex {
  readonly #xs: ArrayLike<number>;
  readonly #ys: ArrayLike<number>;
  readonly #x0: number;
  readonly #y0: number;
  readonly #cell: number;
  readonly #cols: number;
  readonly #rows: number;
  /** Point indices ordered by cell; the points of cell c are order[start[c] … start[c + 1]). */
  readonly #order: Uint32Array;
  readonly #start: Uint32Array;

  constructor(xs: ArrayLike<number>, ys: ArrayLike<number>) {
    this.#xs = xs;
    this.#ys = ys;
    const n = xs.length;
    let x0 = Infinity;
    let x1 = -Infinity;
    let y0 = Infinity;
    let y1 = -Infinity;
    for (let i = 0; i < n; i++) {
      if (xs[i] < x0) x0 = xs[i];
      if (xs[i] > x1) x1 = xs[i];
      if (ys[i] < y0) y0 = ys[i];
      if (ys[i] > y1) y1 = ys[i];
    }
    if (n === 0 || !Number.isFinite(x0 + x1 + y0 + y1)) [x0, x1, y0, y1] = [0, 1, 0, 1];
    // About four points a cell where the points spread evenly; at most 1024 cells a side.
    const spanX = Math.max(x1 - x0, 1e-9);
    const spanY = Math.max(y1 - y0, 1e-9);
    const cells = Math.max(1, Math.min(1024 * 1024, Math.ceil(n / 4)));
    this.#cell = Math.max(Math.sqrt((spanX * spanY) / cells), Math.max(spanX, spanY) / 1024);
    this.#cols = Math.min(1024, Math.floor(spanX / this.#cell) + 1);
    this.#rows = Math.min(1024, Math.floor(spanY / this.#cell) + 1);
    this.#x0 = x0;
    this.#y0 = y0;
    const cellOf = new Uint32Array(n);
    const start = new Uint32Array(this.#cols * this.#rows + 1);
    for (let i = 0; i < n; i++) {
      const c = this.#cellIndex(this.#col(xs[i]), this.#row(ys[i]));
      cellOf[i] = c;
      start[c + 1]++;
    }
    for (let c = 0; c < this.#cols * this.#rows; c++) start[c + 1] += start[c];
    const fill = start.slice(0, -1);
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[fill[cellOf[i]]++] = i;
    this.#order = order;
    this.#start = start;
  }

  #col(x: number): number {
    const c = Math.floor((x - this.#x0) / this.#cell);
    return Number.isNaN(c) ? 0 : Math.min(this.#cols - 1, Math.max(0, c));
  }

  #row(y: number): number {
    const r = Math.floor((y - this.#y0) / this.#cell);
    return Number.isNaN(r) ? 0 : Math.min(this.#rows - 1, Math.max(0, r));
  }

  #cellIndex(col: number, row: number): number {
    return row * this.#cols + col;
  }

  /** The index of the point nearest (x, y), or -1 if none lies within `radius` (data units). */
  nearest(x: number, y: number, radius = Infinity): number {
    const xs = this.#xs;
    const ys = this.#ys;
    let best = -1;
    let bestD = radius * radius;
    const col = this.#col(x);
    const row = this.#row(y);
    const rings = Math.max(this.#cols, this.#rows);
    for (let r = 0; r <= rings; r++) {
      // Every cell in ring r is at least (r − 1) cells from the query along one axis, also when the
      // query lies outside the grid (its cell is then the nearest edge cell).
      const bound = Math.max(0, r - 1) * this.#cell;
      if (bound * bound > bestD) break;
      const c0 = col - r;
      const c1 = col + r;
      const r0 = row - r;
      const r1 = row + r;
      for (let rr = Math.max(0, r0); rr <= Math.min(this.#rows - 1, r1); rr++) {
        const edgeRow = rr === r0 || rr === r1;
        for (let cc = Math.max(0, c0); cc <= Math.min(this.#cols - 1, c1); cc++) {
          if (!edgeRow && cc !== c0 && cc !== c1) continue;
          const c = this.#cellIndex(cc, rr);
          for (let k = this.#start[c]; k < this.#start[c + 1]; k++) {
            const i = this.#order[k];
            const d = (xs[i] - x) ** 2 + (ys[i] - y) ** 2;
            if (d <= bestD && (d < bestD || best < 0 || i < best)) {
              bestD = d;
              best = i;
            }
          }
        }
      }
    }
    return best;
  }
}
