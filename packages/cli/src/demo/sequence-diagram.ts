/**
 * Sequence diagrams drawn the way the DCD cover letter draws its workflow (seed 004): one lane per
 * actor, a `|` on every lane of every row, arrows `|-- Label -->|` between lanes, and labels
 * that do not fit an arrow continued on the rows below it. The demo records what actually
 * happened and renders it with this, so the picture is evidence, not decoration.
 */

/** One message from one actor to another (or a note on one lane when `from === to`). */
export interface SequenceStep {
  readonly from: string;
  readonly to: string;
  /** Words of the label; the renderer wraps them to the arrow's width. */
  readonly label: string;
}

const LANE = 16;

/** Render `steps` between `actors` (left to right) as fixed-width text. */
export function renderSequence(actors: readonly string[], steps: readonly SequenceStep[]): string {
  const lane = (name: string): number => {
    const i = actors.indexOf(name);
    if (i < 0) throw new Error(`sequence diagram: unknown actor '${name}'`);
    return i;
  };
  const width = LANE * (actors.length - 1) + 1;
  const lines: string[] = [];
  lines.push(actors.map((a, i) => (i === actors.length - 1 ? a : a.padEnd(LANE))).join("").trimEnd());
  const blank = (): string[] => Array.from({ length: width }, (_, x) => (x % LANE === 0 ? "|" : " "));
  lines.push(blank().join(""));
  for (const step of steps) {
    const a = lane(step.from);
    const b = lane(step.to);
    const lo = Math.min(a, b) * LANE;
    const hi = Math.max(a, b) * LANE;
    const span = Math.max(hi - lo - 1, LANE - 1);
    const words = step.label.split(/\s+/).filter((w) => w !== "");
    // Leave "-- " and " ->" around the text, as the seed draws "|-- Add ----->|".
    const rows = wrap(words, a === b ? (a === actors.length - 1 ? 40 : LANE - 2) : span - 6);
    rows.forEach((text, r) => {
      const row = blank();
      if (r === 0 && a !== b) {
        // |-- Label ---->|   or   |<--- Label --|
        const inner = hi - lo - 1;
        const body = ` ${text} `;
        const dashes = Math.max(inner - body.length, 2);
        const left = a < b ? Math.floor(dashes / 2) : Math.ceil(dashes / 2);
        let s = "-".repeat(left) + body + "-".repeat(dashes - left);
        s = a < b ? s.slice(0, -1) + ">" : "<" + s.slice(1);
        for (let x = 0; x < s.length && lo + 1 + x < hi; x++) row[lo + 1 + x] = s[x] ?? " ";
      } else {
        const start = a === b ? a * LANE + 2 : lo + 1 + Math.max(0, Math.floor((hi - lo - 1 - text.length) / 2));
        for (let x = 0; x < text.length; x++) {
          const at = start + x;
          // Inside an arrow's span the label may cover the lanes it crosses, as the arrow does.
          const inside = a === b ? row[at] !== "|" : at > lo && at < hi;
          // A note on the last lane is written past it, extending the row.
          if (a === b && at >= row.length) {
            while (row.length < at) row.push(" ");
            row.push(text[x] ?? " ");
          } else if (inside) row[at] = text[x] ?? " ";
        }
      }
      lines.push(row.join("").trimEnd());
    });
  }
  lines.push(blank().join("").trimEnd());
  return lines.join("\n");
}

function wrap(words: readonly string[], max: number): string[] {
  const rows: string[] = [];
  let cur = "";
  // A word longer than a row is cut into row-sized pieces rather than clipped by the lane.
  const pieces = words.flatMap((w) => (w.length <= max ? [w] : (w.match(new RegExp(`.{1,${Math.max(1, max)}}`, "g")) ?? [w])));
  for (const w of pieces) {
    if (cur === "") cur = w;
    else if (cur.length + 1 + w.length <= max) cur += " " + w;
    else {
      rows.push(cur);
      cur = w;
    }
  }
  if (cur !== "") rows.push(cur);
  return rows.length > 0 ? rows : [""];
}
